"""REST shell around notifications: the bell, each user's choices, and a team's webhooks with their log."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import team_for_user_or_404

from . import selectors, services
from .models import Delivery, Event, Notification, Webhook
from .safety import WebhookRefused


class NotificationSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "team", "event", "title", "body", "url", "read_at", "created_at"]
        read_only_fields = fields


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="url_masked", read_only=True, help_text="masked: the URL holds a secret")

    class Meta:
        model = Webhook
        fields = ["id", "format", "url", "events", "enabled", "created_at"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "webhook", "event", "status", "attempts", "response_status", "error", "created_at",
                  "finished_at"]  # fmt: skip
        read_only_fields = fields


class NotificationListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        unread = serializers.IntegerField()
        results = NotificationSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        """Your latest 100 notifications and how many are unread."""
        items = selectors.notification_list(user=request.user).select_related("team")[:100]
        out = {"unread": selectors.unread_count(user=request.user), "results": items}
        return Response(self.OutputSerializer(out).data)


class NotificationReadApi(APIView):
    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                    max_length=1000, help_text="leave out to mark every notification read")  # fmt: skip

    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField()
        unread = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response({"marked": marked, "unread": selectors.unread_count(user=request.user)})


class PreferencesSerializer(serializers.Serializer):
    muted = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), max_length=20, default=list)
    email = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), max_length=20, default=list)


class NotificationPreferencesApi(APIView):
    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        """Which events you do not want in the bell (`muted`) and which you also want by email."""
        return Response(services.preferences_of(request.user))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request):
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.preferences_set(user=request.user, **data.validated_data))


class WebhookListApi(APIView):
    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2000, help_text="https only, to a public host")
        format = serializers.ChoiceField(choices=Webhook.Format.choices)
        events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), max_length=20,
                                       default=list, help_text="leave empty for every event")  # fmt: skip

    @extend_schema(responses=WebhookSerializer(many=True))
    def get(self, request, slug: str):
        return Response(
            WebhookSerializer(
                selectors.webhook_list(team=team_for_user_or_404(user=request.user, slug=slug)), many=True
            ).data
        )

    @extend_schema(request=InputSerializer, responses={201: WebhookSerializer})
    def post(self, request, slug: str):
        """Owners add a webhook; a URL that is not https or whose host is not public is refused (400)."""
        team = team_for_user_or_404(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            webhook = services.webhook_create(team=team, user=request.user, **data.validated_data)
        except (WebhookRefused, ValueError) as exc:
            raise ValidationError({"url": str(exc)}) from exc
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, slug: str, webhook_id: int):
        team = team_for_user_or_404(user=request.user, slug=slug)
        webhook = selectors.webhook_list(team=team).filter(pk=webhook_id).first()
        if webhook is None:
            raise Http404("No such webhook.")
        services.webhook_delete(webhook=webhook, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListApi(APIView):
    @extend_schema(responses=DeliverySerializer(many=True))
    def get(self, request, slug: str):
        """The team's webhook delivery log, newest first (owners)."""
        from accounts.services import OWNERS, membership_require

        team = team_for_user_or_404(user=request.user, slug=slug)
        membership_require(user=request.user, team=team, roles=OWNERS, action="read the delivery log")
        return Response(DeliverySerializer(selectors.delivery_list(team=team)[:200], many=True).data)
