"""Conversations with the AI coach: they belong to a team (every member reads them), hold the messages exchanged
with Claude exactly as sent and received, and the trials the coach proposed for a person to launch."""

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="coach_conversations"
    )
    # Who started it; the conversation stays the team's when that person leaves.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    goal = models.TextField(blank=True, help_text="The team's goal for this conversation, given to the coach.")
    team_goal = models.ForeignKey(
        "coach.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["team", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.team})"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    # The person who wrote a user message (team members share a conversation).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(blank=True)
    # The Messages API turns this message stands for, replayed verbatim on later requests: for a user message its
    # text block; for a reply every assistant turn (thinking, text and tool_use blocks as received) and the
    # tool_result turns answering its tool calls.
    turns = models.JSONField(default=list)
    model = models.CharField(max_length=100, blank=True)
    usage = models.JSONField(default=dict, blank=True)
    # A user-role message written by the platform, not a person: the result of a trial launched from a proposal.
    feedback_trial = models.ForeignKey(
        "trials.Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role} message {self.pk} in conversation {self.conversation_id}"


class Proposal(models.Model):
    """A trial the coach proposed through the propose_trial tool; a person launches or dismisses it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed"
        LAUNCHED = "launched"
        INVALID = "invalid"
        DISMISSED = "dismissed"

    class Kind(models.TextChoices):
        TRIAL = "trial"
        STUDY = "study"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="proposals")
    # A trial spec (propose_trial) or a study spec (propose_study); both are launched by a person.
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.TRIAL)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="proposals")
    tool_use_id = models.CharField(max_length=100, blank=True)
    # The trial spec: normalised by trials.services.trial_spec_clean when valid, as the coach wrote it otherwise.
    payload = models.JSONField(default=dict)
    rationale = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    errors = models.JSONField(default=dict, blank=True)
    # What the compliance gateway said when the proposal was made (a preview, not a recorded decision): rules
    # change, so the launch is judged again.
    compliance = models.JSONField(default=list, blank=True)
    trial = models.ForeignKey("trials.Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    study = models.ForeignKey("trials.Study", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The trial that already ran this spec and seed, when the proposal was refused as a duplicate.
    duplicate_of = models.ForeignKey("trials.Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"proposal {self.pk} ({self.status})"


class Ask(models.Model):
    """A user's message on its way to the coach: stored when it is sent (so it is never lost), answered by a
    Celery task that streams the reply. Only an answered ask has messages in the conversation: a failed one
    leaves the conversation as it was and keeps the text for a retry."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        ANSWERED = "answered"
        FAILED = "failed"
        DISCARDED = "discarded"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, db_index=False, related_name="asks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The reply, once answered (the user's message is the one before it).
    reply = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "status"])]

    def __str__(self) -> str:
        return f"ask {self.pk} in conversation {self.conversation_id} ({self.status})"


class TeamCoachSettings(models.Model):
    """What an admin allows a team's coach: a monthly token budget and a per-message cap on tool rounds."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="coach_settings")
    monthly_token_budget = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Tokens (input, output and cache) per calendar month (UTC); empty: no limit."
    )
    max_tool_rounds = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Requests to Claude per user message; empty: COACH_MAX_TOOL_ROUNDS."
    )

    class Meta:
        verbose_name = "team coach settings"
        verbose_name_plural = "team coach settings"

    def __str__(self) -> str:
        return f"coach settings of {self.team}"


class Usage(models.Model):
    """One request to Anthropic and the tokens it used, against the user and the team (written as the request
    ends, whether or not the reply it belonged to was stored: the tokens were spent)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    conversation = models.ForeignKey(Conversation, null=True, on_delete=models.SET_NULL, related_name="usage")
    model = models.CharField(max_length=100)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_creation_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["team", "created_at"])]

    def __str__(self) -> str:
        return f"usage {self.pk} of {self.team_id} ({self.model})"

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_creation_tokens


class Goal(models.Model):
    """A team's research goal, edited by the team: an objective in words, target figures, the universe and a trial
    budget. Conversations are tied to one; the coach's prompt carries it and the progress towards it."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="coach_goals")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    objective = models.TextField()
    # Targets, each optional: net Sharpe ≥, max drawdown ≥ (a negative fraction: -0.2 is −20 %), DSR ≥.
    sharpe_min = models.FloatField(null=True, blank=True)
    max_drawdown_min = models.FloatField(null=True, blank=True)
    dsr_min = models.FloatField(null=True, blank=True)
    symbols = models.JSONField(default=list, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    trial_budget = models.PositiveIntegerField(null=True, blank=True)
    # Autopilot (off by default): the coach launches its own valid proposals in the goal's conversations, up to the
    # trial budget, as the owner who turned it on; it stops on the budget, on failures in a row, or an owner's Stop.
    autopilot = models.BooleanField(default=False)
    autopilot_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    autopilot_failures = models.PositiveIntegerField(default=0)
    autopilot_stopped = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"goal {self.pk} of {self.team}"


class Topic(models.Model):
    """What a message is about, as rows: the models, symbols, metrics and trials it names. Taken from structured
    data only (the tool inputs of a reply, a feedback message's trial), never from prose."""

    class Kind(models.TextChoices):
        MODEL = "model"
        SYMBOL = "symbol"
        METRIC = "metric"
        TRIAL = "trial"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, db_index=False, related_name="topics")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "kind", "value"], name="topic_unique")]
        indexes = [models.Index(fields=["team", "kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}={self.value} ({self.message_id})"


class Summary(models.Model):
    """The coach's summary of a conversation's older messages, replayed in their place once the history passed
    COACH_HISTORY_TOKEN_BUDGET (the messages after `up_to` are still replayed verbatim)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="summaries")
    up_to = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    messages = models.PositiveIntegerField(help_text="How many messages it stands for.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"summary {self.pk} of conversation {self.conversation_id}"
