"""Signing prepare over HTTP: `POST /api/v1/documents/{id}/sign/prepare/` with an enrolled device.

The signer enrols a software P-256 key over the API as a browser does (challenge, SPKI and proof
of possession: tests/signing/browser_key.py) and uploads a signature image; each prepare adds the
number/date fields and the signature field with the visible stamp (image, name, position, time)
to the version's PDF and returns what the browser must sign. Floor: raw pyHanko preparing the
same deferred signature (same certificate, image, font and text) on the same PDF, in a fixed box,
in this process (no HTTP).
"""

from __future__ import annotations

import base64
import io
import logging
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from bench import pdfloor
from bench.harness import BenchError, median
from bench.load import run, session

from . import Context, section

RUNS, QUICK_RUNS = 8, 4


def _raw(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_png() -> bytes:
    """A blue handwritten-like stroke on a transparent background, as a signer uploads."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + i * 6, 100 + int(60 * ((i % 17) / 8 - 1))) for i in range(95)]
    draw.line(points, fill=(20, 40, 200, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def _prepare_over_http(base: str, plan: int, token: str, runs: int) -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    headers = {"Authorization": f"Token {token}"}
    png = signature_png()
    async with session(headers=headers) as client:
        async with client.post(base + "/api/v1/signing/challenge/") as response:
            challenge = await response.json()
        nonce = base64.b64decode(challenge["nonce"])
        body = {
            "label": "Trình duyệt đo tải",
            "spki": base64.b64encode(spki).decode(),
            "nonce": challenge["nonce"],
            "proof": base64.b64encode(_raw(key, nonce)).decode(),
        }
        async with client.post(base + "/api/v1/signing/devices/", json=body) as response:
            if response.status != 201:
                raise BenchError(f"enrolment answered {response.status}: {await response.text()}")
            device = await response.json()
        form = {"file": png}
        async with client.put(base + "/api/v1/signing/signature-image/", data=form) as response:
            image_status = response.status
        async with client.get(base + f"/api/v1/documents/{plan}/pdf/") as response:
            pdf = await response.read()
        async with client.get(base + "/api/v1/trust/") as response:
            root = await response.read()
        samples, failures = [], []
        for i in range(runs + 1):  # the first renders the version's PDF (LibreOffice): not timed
            started = time.perf_counter()
            async with client.post(
                base + f"/api/v1/documents/{plan}/sign/prepare/", json={"device_id": device["id"]}
            ) as response:
                answer = await response.read()
                status = response.status
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                failures.append(f"{status}: {answer[:120]!r}")
            elif i:
                samples.append(elapsed)
    return {
        "samples": samples,
        "failures": failures,
        "pdf": pdf,
        "root": root,
        "certificate": device.get("certificate_pem", ""),
        "png": png if image_status == 200 else None,
    }


@section("signing", "Signing prepare vs pyHanko alone with the same stamp")
def signing(ctx: Context) -> None:
    stage, report, label = ctx.stage, ctx.report, ctx.label
    runs = QUICK_RUNS if ctx.quick else RUNS
    data = stage.prepare("signing")
    ctx.app.mark()
    served = run(_prepare_over_http(ctx.app.url, data["plan"], data["token"], runs))
    ctx.problems("signing", ctx.app, "app")
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    material_dir = stage.tmp / "material-signing"
    pdfloor.generate_material(material_dir)
    stamper = pdfloor.Material.load(material_dir).timestamper()
    if served["certificate"]:
        certificate = x509.load_pem_x509_certificate(served["certificate"].encode())
        chain = [x509.load_pem_x509_certificate(served["root"])]
    else:
        material = pdfloor.Material.load(material_dir)
        certificate, chain = material.seal_cert, [material.root]
    text = "Ký bởi: Nguyễn Sơn Hùng\nChức vụ: Phó Chủ tịch\nThời gian: 02/01/2026 09:30:00 +07:00"
    floor = []
    for i in range(runs + 1):
        started = time.perf_counter()
        pdfloor.prepare_deferred(
            served["pdf"],
            certificate=certificate,
            chain=chain,
            timestamper=stamper,
            signature_png=served["png"],
            text=text,
        )
        if i:
            floor.append((time.perf_counter() - started) * 1000)
    report.add(
        "signing",
        "prepare (with image) vs raw pyHanko, same stamp",
        "ms",
        label,
        median(served["samples"]),
        median(floor),
        note="; ".join(
            [
                *([f"failed: {'; '.join(served['failures'][:2])}"] if served["failures"] else []),
                *([] if served["png"] else ["signature image refused: stamp without image"]),
            ]
        ),
    )
