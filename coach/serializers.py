"""How conversations, messages and proposals look in the API (never the raw API turns, never a key)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Conversation, Message, Proposal


class ProposalSerializer(serializers.ModelSerializer):
    conversation = serializers.IntegerField(source="conversation_id", read_only=True)
    message = serializers.IntegerField(source="message_id", read_only=True)
    trial = serializers.IntegerField(source="trial_id", read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "conversation",
            "message",
            "status",
            "payload",
            "rationale",
            "errors",
            "compliance",
            "trial",
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


class ConversationSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = ["id", "team", "user", "title", "goal", "created_at", "updated_at"]
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, conversation) -> list[dict]:
        return MessageSerializer(self.context["messages"], many=True).data
