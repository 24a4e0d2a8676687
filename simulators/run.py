"""Start the simulators on 127.0.0.1: ``python -m simulators.run``.

Ports from ``SIM_POPULATION_PORT`` (8101), ``SIM_BUSINESS_PORT`` (8102), ``SIM_VNEID_PORT`` (8103); the VNeID
issuer is ``http://127.0.0.1:<port>`` unless ``SIM_VNEID_ISSUER`` is set; also the payment gateway
(``SIM_PAYMENT_PORT``, 8104), SMS (``SIM_SMS_PORT``, 8105) and the national portal's dossier sync
(``SIM_NATIONAL_PORTAL_PORT``, 8106). Runs until SIGINT or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from .business.app import create_app as create_business
from .common import serve_in_thread
from .national_portal.app import create_app as create_national_portal
from .payment.app import create_app as create_payment
from .population.app import create_app as create_population
from .sms.app import create_app as create_sms
from .vneid.app import create_app as create_vneid

HOST = "127.0.0.1"


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def main() -> int:
    population_port = _port("SIM_POPULATION_PORT", 8101)
    business_port = _port("SIM_BUSINESS_PORT", 8102)
    vneid_port = _port("SIM_VNEID_PORT", 8103)
    issuer = os.environ.get("SIM_VNEID_ISSUER") or f"http://{HOST}:{vneid_port}"

    stoppers = []
    try:
        for label, app, port in (
            ("population (CSDL quốc gia về dân cư)", create_population(), population_port),
            ("business (đăng ký doanh nghiệp)", create_business(), business_port),
            ("vneid (OpenID Connect)", create_vneid(issuer=issuer), vneid_port),
            ("payment", create_payment(), _port("SIM_PAYMENT_PORT", 8104)),
            ("sms", create_sms(), _port("SIM_SMS_PORT", 8105)),
            (
                "national portal (Cổng Dịch vụ công quốc gia)",
                create_national_portal(),
                _port("SIM_NATIONAL_PORTAL_PORT", 8106),
            ),
        ):
            url, stop = serve_in_thread(app, HOST, port, log_requests=True)
            stoppers.append(stop)
            extra = f" issuer={issuer}" if label.startswith("vneid") else ""
            print(f"{label}: {url}{extra}", flush=True)
    except OSError as exc:
        print(f"cannot start the simulators: {exc}", file=sys.stderr)
        for stop in stoppers:
            stop()
        return 1

    done = threading.Event()

    def _stop(signum, frame) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not done.wait(0.5):
        pass
    for stop in stoppers:
        stop()
    print("simulators stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
