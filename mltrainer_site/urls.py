"""URL routes: pages, the REST API under /api/, and the admin."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from coach import api as coach_api
from coach import views as coach_views
from compliance import api as compliance_api
from compliance import views as compliance_views
from market_data import api as data_api
from market_data import views as data_views
from models_catalog import api as catalog_api
from models_catalog import views as catalog_views
from notifications import api as notifications_api
from notifications import views as notifications_views
from registry import api as registry_api
from registry import views as registry_views
from trials import api as trials_api
from trials import catalog_views as trial_catalog_views
from trials import study_api, study_views
from trials import views as trials_views

from . import converters  # noqa: F401 - registers <id:...>, used for every object id below

api = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Under the CSP: the split view serves its start-up script as a file (?script), our template its base styles as
    # a file; Swagger UI's own stylesheet draws its icons as data: SVG images, allowed on this page only.
    path(
        "api/docs/",
        csp_update({"img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html")
        ),
        name="api-docs",
    ),
    path("api/auth/token/", accounts_api.TokenObtainApi.as_view(), name="token-obtain"),
    path("api/auth/token/refresh/", accounts_api.TokenRefreshApi.as_view(), name="token-refresh"),
    path("api/models/", catalog_api.ModelListApi.as_view(), name="api-models"),
    path("api/models/<slug:key>/", catalog_api.ModelDetailApi.as_view(), name="api-model-detail"),
    path("api/datasets/", data_api.DatasetListApi.as_view(), name="api-datasets"),
    path("api/datasets/upload/", data_api.DatasetUploadApi.as_view(), name="api-dataset-upload"),
    path("api/datasets/fetch/", data_api.FetchJobCreateApi.as_view(), name="api-dataset-fetch"),
    path("api/datasets/fetch/<id:job_id>/", data_api.FetchJobDetailApi.as_view(), name="api-fetch-job"),
    path("api/datasets/watchlist/", data_api.WatchListApi.as_view(), name="api-watchlist"),
    path("api/datasets/watchlist/<id:item_id>/", data_api.WatchItemApi.as_view(), name="api-watch-item"),
    path("api/datasets/search/", data_api.DataSearchApi.as_view(), name="api-dataset-search"),
    path("api/datasets/<id:dataset_id>/", data_api.DatasetDetailApi.as_view(), name="api-dataset-detail"),
    path("api/datasets/<id:dataset_id>/values/", data_api.DatasetValuesApi.as_view(), name="api-dataset-values"),
    path("api/teams/<slug:slug>/api-keys/", data_api.TeamApiKeyListApi.as_view(), name="api-team-keys"),
    path("api/teams/<slug:slug>/api-keys/<str:source>/", data_api.TeamApiKeyApi.as_view(), name="api-team-key"),
    path("api/trials/", trials_api.TrialListCreateApi.as_view(), name="api-trials"),
    path("api/trials/export.csv", trials_api.TrialExportApi.as_view(), name="api-trial-export"),
    path("api/trials/compare/", trials_api.TrialCompareApi.as_view(), name="api-trial-compare"),
    path("api/trials/compare.csv", trials_api.TrialCompareExportApi.as_view(), name="api-trial-compare-export"),
    path("api/trials/<id:trial_id>/", trials_api.TrialDetailApi.as_view(), name="api-trial-detail"),
    path("api/trials/<id:trial_id>/cancel/", trials_api.TrialCancelApi.as_view(), name="api-trial-cancel"),
    path(
        "api/trials/<id:trial_id>/predictions.csv",
        trials_api.TrialPredictionsExportApi.as_view(),
        name="api-trial-predictions",
    ),
    path("api/trials/<id:trial_id>/approve/", trials_api.TrialApproveApi.as_view(), name="api-trial-approve"),
    path("api/trials/<id:trial_id>/reject/", trials_api.TrialRejectApi.as_view(), name="api-trial-reject"),
    path("api/compliance/decisions/", compliance_api.DecisionListApi.as_view(), name="api-compliance-decisions"),
    path(
        "api/compliance/decisions/export.csv",
        compliance_api.DecisionExportApi.as_view(),
        name="api-compliance-decision-export",
    ),
]

api += [
    path("api/studies/", study_api.StudyListCreateApi.as_view(), name="api-studies"),
    path("api/studies/<id:study_id>/", study_api.StudyDetailApi.as_view(), name="api-study-detail"),
    path(
        "api/studies/<id:study_id>/importances/", study_api.StudyImportancesApi.as_view(), name="api-study-importances"
    ),
    path("api/studies/<id:study_id>/cancel/", study_api.StudyCancelApi.as_view(), name="api-study-cancel"),
    path("api/studies/<id:study_id>/export.csv", study_api.StudyExportApi.as_view(), name="api-study-export"),
]

api += [
    path("api/coach/conversations/", coach_api.ConversationListCreateApi.as_view(), name="api-coach-conversations"),
    path(
        "api/coach/conversations/<id:conversation_id>/",
        coach_api.ConversationDetailApi.as_view(),
        name="api-coach-conversation",
    ),
    path(
        "api/coach/conversations/<id:conversation_id>/messages/",
        coach_api.MessageCreateApi.as_view(),
        name="api-coach-messages",
    ),
    path("api/coach/goals/", coach_api.GoalListCreateApi.as_view(), name="api-coach-goals"),
    path("api/coach/goals/<id:goal_id>/", coach_api.GoalDetailApi.as_view(), name="api-coach-goal"),
    path(
        "api/coach/goals/<id:goal_id>/autopilot/", coach_api.GoalAutopilotApi.as_view(), name="api-coach-goal-autopilot"
    ),
    path("api/coach/asks/<id:ask_id>/", coach_api.AskDetailApi.as_view(), name="api-coach-ask"),
    path("api/coach/asks/<id:ask_id>/retry/", coach_api.AskRetryApi.as_view(), name="api-coach-ask-retry"),
    path("api/coach/asks/<id:ask_id>/discard/", coach_api.AskDiscardApi.as_view(), name="api-coach-ask-discard"),
    path(
        "api/coach/proposals/<id:proposal_id>/launch/",
        coach_api.ProposalLaunchApi.as_view(),
        name="api-coach-proposal-launch",
    ),
    path(
        "api/coach/proposals/<id:proposal_id>/dismiss/",
        coach_api.ProposalDismissApi.as_view(),
        name="api-coach-proposal-dismiss",
    ),
]

_version = "api/registry/<slug:name>/versions/<id:number>/"
api += [
    path("api/registry/", registry_api.RegistryListApi.as_view(), name="api-registry"),
    path("api/registry/<slug:name>/", registry_api.RegisteredModelApi.as_view(), name="api-registry-model"),
    path(_version, registry_api.VersionApi.as_view(), name="api-registry-version"),
    path(_version + "promote/", registry_api.VersionPromoteApi.as_view(), name="api-registry-promote"),
    path(_version + "approve/", registry_api.VersionApproveApi.as_view(), name="api-registry-approve"),
    path(_version + "reject/", registry_api.VersionRejectApi.as_view(), name="api-registry-reject"),
    path(_version + "archive/", registry_api.VersionArchiveApi.as_view(), name="api-registry-archive"),
    path(_version + "predict/", registry_api.PredictApi.as_view(), name="api-registry-predict"),
    path(_version + "signals/", registry_api.SignalListApi.as_view(), name="api-registry-signals"),
    path(_version + "signals.csv", registry_api.SignalExportApi.as_view(), name="api-registry-signals-csv"),
    path(
        "api/registry/<slug:name>/production/predict/",
        registry_api.PredictApi.as_view(),
        name="api-registry-production-predict",
    ),
]

api += [
    path("api/notifications/", notifications_api.NotificationListApi.as_view(), name="api-notifications"),
    path("api/notifications/read/", notifications_api.NotificationReadApi.as_view(), name="api-notifications-read"),
    path(
        "api/notifications/preferences/",
        notifications_api.NotificationPreferencesApi.as_view(),
        name="api-notification-preferences",
    ),
    path("api/teams/<slug:slug>/webhooks/", notifications_api.WebhookListApi.as_view(), name="api-team-webhooks"),
    path(
        "api/teams/<slug:slug>/webhooks/<id:webhook_id>/",
        notifications_api.WebhookDetailApi.as_view(),
        name="api-team-webhook",
    ),
    path(
        "api/teams/<slug:slug>/webhook-deliveries/",
        notifications_api.DeliveryListApi.as_view(),
        name="api-team-webhook-deliveries",
    ),
]

pages = [
    path("coach/", coach_views.coach_home, name="coach"),
    path("coach/<id:conversation_id>/", coach_views.conversation_detail, name="coach-conversation"),
    path("coach/goals/", coach_views.goal_list, name="coach-goals"),
    path("coach/goals/<id:goal_id>/", coach_views.goal_detail, name="coach-goal"),
    path("studies/", study_views.study_list, name="studies"),
    path("studies/<id:study_id>/", study_views.study_detail, name="study-detail"),
    path("", trials_views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("trials/new/", trials_views.trial_new, name="trial-new"),
    path("trials/columns/", trials_views.trial_columns, name="trial-columns"),
    path("compare/", trials_views.compare, name="compare"),
    path("trials/<id:trial_id>/", trials_views.trial_detail, name="trial-detail"),
    path("trials/<id:trial_id>/approve/", trials_views.trial_decide, {"verdict": "approve"}, name="trial-approve"),
    path("trials/<id:trial_id>/reject/", trials_views.trial_decide, {"verdict": "reject"}, name="trial-reject"),
    path("compliance/", compliance_views.audit, name="compliance-audit"),
    path("notifications/", notifications_views.notifications_page, name="notifications"),
    path("notifications/read/", notifications_views.notifications_mark_read, name="notifications-read"),
    path("notifications/choose/", notifications_views.notifications_choose, name="notifications-choose"),
    path(
        "notifications/<slug:slug>/webhooks/",
        notifications_views.notifications_webhook_add,
        name="notifications-webhook-add",
    ),
    path(
        "notifications/<slug:slug>/webhooks/<id:webhook_id>/delete/",
        notifications_views.notifications_webhook_delete,
        name="notifications-webhook-delete",
    ),
    path("registry/", registry_views.registry_list, name="registry"),
    path("registry/register/", registry_views.registry_register, name="registry-register"),
    path("registry/<slug:name>/v<id:number>/", registry_views.version_detail, name="registry-version"),
    path(
        "registry/<slug:name>/v<id:number>/<str:action>/", registry_views.version_stage, name="registry-version-stage"
    ),
    path("models/", catalog_views.catalog, name="catalog"),
    path("models/<slug:key>/", trial_catalog_views.model_detail, name="model-detail"),
    path("data/", data_views.datasets, name="datasets"),
    path("data/<id:dataset_id>/", data_views.dataset_detail, name="dataset-detail"),
    path("data/upload/", data_views.dataset_upload, name="dataset-upload"),
    path("data/fetch/", data_views.fetch_create, name="dataset-fetch"),
    path("data/watchlist/", data_views.watch_add, name="watchlist-add"),
    path("data/watchlist/<id:item_id>/remove/", data_views.watch_remove, name="watchlist-remove"),
    path("data/keys/<str:source>/", data_views.api_key_set, name="team-key-set"),
    path(settings.ADMIN_PATH, admin.site.urls),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's, a download).
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)),
]

urlpatterns = api + pages
