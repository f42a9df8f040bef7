"""Medical-director sign-off and the provider's "My charts to sign" (charting.review_views)."""

from django.urls import path

from medspa.charting import review_views as views

urlpatterns = [
    path("charts/", views.chart_my_drafts_view, name="chart_my_drafts"),
    path("charts/review/", views.chart_review_queue_view, name="chart_review_queue"),
    path("charts/review/<uuid:chart_id>/", views.chart_review_view, name="chart_review"),
    path("charts/review/<uuid:chart_id>/sign/", views.chart_review_sign_view, name="chart_review_sign"),
    path(
        "charts/review/<uuid:chart_id>/request-info/",
        views.chart_review_request_info_view,
        name="chart_review_request_info",
    ),
    path("charts/review/<uuid:chart_id>/return/", views.chart_review_return_view, name="chart_review_return"),
]
