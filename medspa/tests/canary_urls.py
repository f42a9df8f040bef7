"""Test-only URLconf: the project's routes plus one view nobody marked public."""

from django.http import HttpResponse
from django.urls import path

from medspa.urls import urlpatterns as project_urlpatterns


def canary_view(request):
    return HttpResponse("the canary sang")


urlpatterns = [path("canary/", canary_view, name="canary"), *project_urlpatterns]
