"""Runs the scim2-tester conformance checks against a running scimgate.

Usage: conformance.py BASE_URL TOKEN CA_FILE

Every check must end SUCCESS, COMPLIANT or ACCEPTABLE. A SKIPPED check is allowed only when it is listed in
NOT_APPLICABLE below (and in README.md, "Conformance"), with the reason; any other status fails the run.
"""

import sys

import time

from httpx2 import Client, HTTPTransport
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}

# Checks scim2-tester reports as skipped against scimgate, each for a reason given in README.md.
NOT_APPLICABLE: dict[str, str] = {
    "search_with_attributes": "POST /.search at the root searches every resource type at once (RFC 7644 §3.4.3, "
    "a MAY); scimgate answers 501 and serves /Users/.search and /Groups/.search, which the same suite checks",
}


class RetryAfter(HTTPTransport):
    """Honours 429 + Retry-After as Entra and Okta do: the tenant's rate limit is part of what is tested."""

    def handle_request(self, request):
        for _ in range(10):
            response = super().handle_request(request)
            if response.status_code != 429:
                return response
            wait = int(response.headers.get("retry-after", "1"))
            response.close()
            time.sleep(min(max(wait, 1), 5))
        return response


def main() -> int:
    base, token, ca = sys.argv[1:4]
    http = Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        transport=RetryAfter(verify=ca),
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client)
    failed = 0
    passed = 0
    skipped = 0
    for r in results:
        kind = getattr(r, "resource_type", None)
        name = f"{kind}: {r.title}" if kind else r.title
        line = f"{r.status.name:<10} {name}"
        if r.reason:
            line += f"\n           {r.reason}"
        print(line)
        if r.status in PASSING:
            passed += 1
        elif r.status == Status.SKIPPED and r.title in NOT_APPLICABLE:
            skipped += 1
        else:
            failed += 1
            if r.data is not None:
                print(f"           {str(r.data)[:2000]}")
    print(f"scim2-tester: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
