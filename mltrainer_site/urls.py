"""URL routes: pages, the REST API under /api/, and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from compliance import api as compliance_api
from compliance import views as compliance_views
from market_data import api as data_api
from market_data import views as data_views
from models_catalog import api as catalog_api
from models_catalog import views as catalog_views
from trials import api as trials_api
from trials import views as trials_views

api = [
    path("api/auth/token/", TokenObtainPairView.as_view(), name="token-obtain"),
    path("api/auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("api/models/", catalog_api.ModelListApi.as_view(), name="api-models"),
    path("api/models/<slug:key>/", catalog_api.ModelDetailApi.as_view(), name="api-model-detail"),
    path("api/datasets/", data_api.DatasetListApi.as_view(), name="api-datasets"),
    path("api/trials/", trials_api.TrialListCreateApi.as_view(), name="api-trials"),
    path("api/trials/export.csv", trials_api.TrialExportApi.as_view(), name="api-trial-export"),
    path("api/trials/<int:trial_id>/", trials_api.TrialDetailApi.as_view(), name="api-trial-detail"),
    path("api/trials/<int:trial_id>/cancel/", trials_api.TrialCancelApi.as_view(), name="api-trial-cancel"),
    path(
        "api/trials/<int:trial_id>/predictions.csv",
        trials_api.TrialPredictionsExportApi.as_view(),
        name="api-trial-predictions",
    ),
    path("api/trials/<int:trial_id>/approve/", compliance_api.TrialApproveApi.as_view(), name="api-trial-approve"),
    path("api/trials/<int:trial_id>/reject/", compliance_api.TrialRejectApi.as_view(), name="api-trial-reject"),
    path("api/compliance/decisions/", compliance_api.DecisionListApi.as_view(), name="api-compliance-decisions"),
    path(
        "api/compliance/decisions/export.csv",
        compliance_api.DecisionExportApi.as_view(),
        name="api-compliance-decision-export",
    ),
]

pages = [
    path("", trials_views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("trials/new/", trials_views.trial_new, name="trial-new"),
    path("trials/<int:trial_id>/", trials_views.trial_detail, name="trial-detail"),
    path("trials/<int:trial_id>/approve/", compliance_views.trial_decide, {"verdict": "approve"}, name="trial-approve"),
    path("trials/<int:trial_id>/reject/", compliance_views.trial_decide, {"verdict": "reject"}, name="trial-reject"),
    path("compliance/", compliance_views.audit, name="compliance-audit"),
    path("models/", catalog_views.catalog, name="catalog"),
    path("models/<slug:key>/", catalog_views.model_detail, name="model-detail"),
    path("data/", data_views.datasets, name="datasets"),
    path("admin/", admin.site.urls),
]

urlpatterns = api + pages
