"""REST shell around the coach's services and selectors."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import team_for_request
from compliance.services import ComplianceRejected
from security.limits import coach_message_check, submission_check
from security.openapi import CONFLICT, RATE_LIMITED
from trials.services import TrialSpecInvalid
from trials.studies import StudySpecInvalid

from . import selectors, services
from .serializers import (
    AskSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    GoalDetailSerializer,
    GoalSerializer,
    ProposalSerializer,
)

UNAVAILABLE = OpenApiResponse(
    {"$ref": "#/components/schemas/Error"},
    description="The coach is not configured (ANTHROPIC_API_KEY), or the workers cannot be reached.",
)


def _object(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": "send a JSON object"})
    return request.data


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ValidationError({name: "must be text"})
    return value


def _conversation_or_404(request, conversation_id: int):
    conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _proposal_or_404(request, proposal_id: int):
    proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    if proposal is None:
        raise Http404("No such proposal.")
    return proposal


def _ask_or_404(request, ask_id: int):
    ask = selectors.ask_get(user=request.user, ask_id=ask_id)
    if ask is None:
        raise Http404("No such message.")
    return ask


def _coach_error(exc: services.CoachError) -> Response:
    if isinstance(exc, services.CoachBudgetExceeded):
        body = {"detail": str(exc), "budget": exc.budget, "used": exc.used, "resets_at": exc.resets_at.isoformat()}
        return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS)
    if isinstance(exc, services.CoachBusy):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, services.CoachInputInvalid):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, services.CoachNotConfigured) or getattr(exc, "retryable", False):
        return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"detail": str(exc)}, status=status.HTTP_502_BAD_GATEWAY)


class ConversationListCreateApi(APIView):
    class FilterSerializer(serializers.Serializer):
        team = serializers.CharField(required=False, allow_blank=True)

    class InputSerializer(serializers.Serializer):
        goal = serializers.CharField()
        title = serializers.CharField(required=False, allow_blank=True)
        team = serializers.CharField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses=ConversationSerializer(many=True))
    def get(self, request):
        conversations = selectors.conversation_list(user=request.user, team_slug=request.query_params.get("team", ""))
        return Response(ConversationSerializer(conversations[:200], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ConversationSerializer})
    def post(self, request):
        data = _object(request)
        team = team_for_request(request)
        try:
            conversation = services.conversation_start(
                team=team, user=request.user, goal=_text(data, "goal"), title=_text(data, "title")
            )
        except services.CoachInputInvalid as exc:
            raise ValidationError({"goal": str(exc)}) from exc
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


class ConversationDetailApi(APIView):
    @extend_schema(responses=ConversationDetailSerializer)
    def get(self, request, conversation_id: int):
        conversation = _conversation_or_404(request, conversation_id)
        context = {
            "messages": selectors.message_list(conversation=conversation),
            "asks": selectors.ask_open_list(conversation=conversation),
            "usage": selectors.usage_this_month(team=conversation.team),
        }
        return Response(ConversationDetailSerializer(conversation, context=context).data)


class MessageCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses={202: AskSerializer, 409: CONFLICT, 429: RATE_LIMITED, 503: UNAVAILABLE}
    )
    def post(self, request, conversation_id: int):
        """202 at once: the message is stored and a worker answers it, streaming the reply on the socket."""
        conversation = _conversation_or_404(request, conversation_id)
        text = _text(_object(request), "text")
        coach_message_check(user=request.user, team=conversation.team)
        try:
            ask = services.ask_create(conversation=conversation, user=request.user, text=text)
        except services.CoachError as exc:
            return _coach_error(exc)
        return Response(AskSerializer(ask).data, status=status.HTTP_202_ACCEPTED)


class AskDetailApi(APIView):
    @extend_schema(responses=AskSerializer)
    def get(self, request, ask_id: int):
        return Response(AskSerializer(_ask_or_404(request, ask_id)).data)


class AskRetryApi(APIView):
    @extend_schema(request=None, responses={202: AskSerializer, 409: CONFLICT, 429: RATE_LIMITED, 503: UNAVAILABLE})
    def post(self, request, ask_id: int):
        ask = _ask_or_404(request, ask_id)
        coach_message_check(user=request.user, team=ask.conversation.team)
        try:
            ask = services.ask_retry(ask=ask, user=request.user)
        except services.AskConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except services.CoachError as exc:
            return _coach_error(exc)
        return Response(AskSerializer(ask).data, status=status.HTTP_202_ACCEPTED)


class AskDiscardApi(APIView):
    @extend_schema(request=None, responses={200: AskSerializer, 409: CONFLICT})
    def post(self, request, ask_id: int):
        ask = _ask_or_404(request, ask_id)
        try:
            ask = services.ask_discard(ask=ask, user=request.user)
        except services.AskConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(AskSerializer(ask).data)


class ProposalLaunchApi(APIView):
    class OutputSerializer(serializers.Serializer):
        trial = serializers.IntegerField(allow_null=True)
        study = serializers.IntegerField(allow_null=True)
        status = serializers.CharField()
        proposal = ProposalSerializer()

    @extend_schema(request=None, responses={201: OutputSerializer})
    def post(self, request, proposal_id: int):
        proposal = _proposal_or_404(request, proposal_id)
        submission_check(user=request.user)
        try:
            trial = services.proposal_launch(proposal=proposal, user=request.user)
        except services.ProposalConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except (TrialSpecInvalid, StudySpecInvalid) as exc:
            raise ValidationError(exc.errors) from exc
        except ComplianceRejected as exc:
            return Response({"compliance": exc.as_list()}, status=status.HTTP_400_BAD_REQUEST)
        proposal.refresh_from_db()
        body = {
            "trial": proposal.trial_id,
            "study": proposal.study_id,
            "status": trial.status,
            "proposal": ProposalSerializer(proposal).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class ProposalDismissApi(APIView):
    @extend_schema(request=None, responses=ProposalSerializer)
    def post(self, request, proposal_id: int):
        proposal = _proposal_or_404(request, proposal_id)
        try:
            proposal = services.proposal_dismiss(proposal=proposal, user=request.user)
        except services.ProposalConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ProposalSerializer(proposal).data)


def _goal_or_404(request, goal_id: int):
    goal = selectors.goal_get(user=request.user, goal_id=goal_id)
    if goal is None:
        raise Http404("No such goal.")
    return goal


def _goal_detail(request, goal) -> dict:
    progress = selectors.goal_progress(goal=goal, user=request.user)
    return GoalDetailSerializer(goal, context={"progress": progress}).data


class GoalInputSerializer(serializers.Serializer):
    """What a goal takes (services.goal_clean checks each field and names the first bad one)."""

    team = serializers.CharField(required=False, help_text="the team's slug; your default team if left out")
    objective = serializers.CharField(help_text="the research goal in words")
    sharpe_min = serializers.FloatField(required=False, allow_null=True, help_text="net Sharpe at least")
    max_drawdown_min = serializers.FloatField(required=False, allow_null=True, help_text="e.g. -0.2 for -20 %")
    dsr_min = serializers.FloatField(required=False, allow_null=True, help_text="deflated Sharpe at least")
    symbols = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    start = serializers.DateField(required=False, allow_null=True)
    end = serializers.DateField(required=False, allow_null=True)
    trial_budget = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10_000)


class GoalListCreateApi(APIView):
    @extend_schema(responses=GoalSerializer(many=True))
    def get(self, request):
        return Response(GoalSerializer(selectors.goal_list(user=request.user)[:200], many=True).data)

    @extend_schema(request=GoalInputSerializer, responses={201: GoalDetailSerializer})
    def post(self, request):
        data = _object(request)
        team = team_for_request(request)
        try:
            goal = services.goal_create(team=team, user=request.user, data=data)
        except services.CoachInputInvalid as exc:
            raise ValidationError({"non_field_errors": str(exc)}) from exc
        return Response(_goal_detail(request, goal), status=status.HTTP_201_CREATED)


class GoalDetailApi(APIView):
    @extend_schema(responses=GoalDetailSerializer)
    def get(self, request, goal_id: int):
        return Response(_goal_detail(request, _goal_or_404(request, goal_id)))

    @extend_schema(request=GoalInputSerializer, responses=GoalDetailSerializer)
    def put(self, request, goal_id: int):
        """Replace the goal's fields (the team stays)."""
        goal = _goal_or_404(request, goal_id)
        try:
            goal = services.goal_update(goal=goal, user=request.user, data=_object(request))
        except services.CoachInputInvalid as exc:
            raise ValidationError({"non_field_errors": str(exc)}) from exc
        return Response(_goal_detail(request, goal))


class GoalAutopilotApi(APIView):
    class InputSerializer(serializers.Serializer):
        on = serializers.BooleanField(help_text="true: the coach launches its own valid proposals; false: Stop")

    @extend_schema(request=InputSerializer, responses=GoalDetailSerializer)
    def post(self, request, goal_id: int):
        """Owners turn the goal's autopilot on, or stop it."""
        goal = _goal_or_404(request, goal_id)
        data = self.InputSerializer(data=_object(request))
        data.is_valid(raise_exception=True)
        goal = services.goal_autopilot_set(goal=goal, user=request.user, on=data.validated_data["on"])
        return Response(_goal_detail(request, goal))
