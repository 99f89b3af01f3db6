"""Run the Rasa SDK action server in a single process on loopback.

rasa_sdk's own runner uses Sanic's worker manager, which kills a worker that takes more than
30 s to come up; loading the knowledge engine (model + index) can take longer on a busy 2-core
machine. One process also means the model is loaded once.
usage: python -m actions.server --port 5055
"""

from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor

from actions.context import warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description="govbot action server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa endpoints file (read for tracing)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    executor = ActionExecutor()
    executor.register_package("actions")
    warm_up()
    app = create_app_for_serve(executor, cors_origins=None, endpoints=args.endpoints)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
