"""Page routes of digital signing (the signer's devices); included next to web.urls."""

from django.urls import path

from . import views_signing

urlpatterns = [
    path("ky-so/thiet-bi/", views_signing.signing_devices, name="signing-devices"),
    path(
        "ky-so/xac-nhan-chung-thu/",
        views_signing.signing_device_confirmations,
        name="signing-device-confirmations",
    ),
]
