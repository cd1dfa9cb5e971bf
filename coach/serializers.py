"""How conversations, messages and proposals look in the API (never the raw API turns, never a key)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Ask, Conversation, Goal, Message, Proposal


class ProposalSerializer(serializers.ModelSerializer):
    conversation = serializers.IntegerField(source="conversation_id", read_only=True)
    message = serializers.IntegerField(source="message_id", read_only=True)
    trial = serializers.IntegerField(source="trial_id", read_only=True)
    study = serializers.IntegerField(source="study_id", read_only=True)
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "conversation",
            "message",
            "kind",
            "status",
            "payload",
            "rationale",
            "errors",
            "compliance",
            "trial",
            "study",
            "duplicate_of",
            "created_at",
        ]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    proposals = ProposalSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "role", "user", "text", "model", "usage", "created_at", "proposals"]
        read_only_fields = fields


class AskSerializer(serializers.ModelSerializer):
    """A message sent to the coach: queued, running (its reply streams on /ws/coach/<conversation>/), answered
    (with the reply), failed (with the error; retry it) or discarded."""

    conversation = serializers.IntegerField(source="conversation_id", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reply = MessageSerializer(read_only=True, allow_null=True)
    socket = serializers.SerializerMethodField()

    class Meta:
        model = Ask
        fields = ["id", "conversation", "user", "text", "status", "error", "attempts", "reply", "socket",
                  "created_at", "finished_at"]  # fmt: skip
        read_only_fields = fields

    def get_socket(self, ask) -> str:
        return f"/ws/coach/{ask.conversation_id}/"


class ConversationSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = ["id", "team", "user", "title", "goal", "created_at", "updated_at"]
        read_only_fields = fields


class UsageSerializer(serializers.Serializer):
    used = serializers.IntegerField(help_text="Tokens the team used this calendar month (UTC).")
    budget = serializers.IntegerField(allow_null=True, help_text="The team's monthly token budget; null: none.")
    resets_at = serializers.DateTimeField()
    by_kind = serializers.DictField(child=serializers.IntegerField())


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField()
    asks = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages", "asks", "usage"]
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, conversation) -> list[dict]:
        return MessageSerializer(self.context["messages"], many=True).data

    @extend_schema_field(AskSerializer(many=True))
    def get_asks(self, conversation) -> list[dict]:
        """Messages not answered yet (queued, running or failed)."""
        return AskSerializer(self.context["asks"], many=True).data

    @extend_schema_field(UsageSerializer)
    def get_usage(self, conversation) -> dict:
        """The team's coach tokens this month against its budget."""
        return UsageSerializer(self.context["usage"]).data


class GoalSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    autopilot_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Goal
        fields = ["id", "team", "objective", "sharpe_min", "max_drawdown_min", "dsr_min", "symbols", "start", "end",
                  "trial_budget", "autopilot", "autopilot_by", "autopilot_failures", "autopilot_stopped", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields


class GoalTargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    trial = serializers.IntegerField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)


class GoalProgressSerializer(serializers.Serializer):
    targets = GoalTargetSerializer(many=True)
    launched = serializers.IntegerField()
    budget = serializers.IntegerField(allow_null=True)


class GoalDetailSerializer(GoalSerializer):
    progress = serializers.SerializerMethodField()

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "progress"]
        read_only_fields = fields

    @extend_schema_field(GoalProgressSerializer)
    def get_progress(self, goal: Goal) -> dict:
        return self.context["progress"]
