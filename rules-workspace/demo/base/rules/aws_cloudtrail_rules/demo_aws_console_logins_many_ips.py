from demo_aws_helpers import aws_account_name
from demo_base_helpers import pretty_list

# Scheduled rules receive one row of the scheduled query's result per call.
MIN_DISTINCT_IPS = 3

# Acme's egress NAT addresses; logins through them count as one location.
CORPORATE_EGRESS_IPS = {"198.51.100.10", "198.51.100.11"}


def rule(event):
    ips = [ip for ip in (event.get("source_ips") or []) if ip not in CORPORATE_EGRESS_IPS]
    return len(ips) >= MIN_DISTINCT_IPS


def title(event):
    return (
        f"[{event.get('actor_arn')}] signed in to "
        f"[{aws_account_name(event.get('account_id'))}] from "
        f"{event.get('distinct_ips')} addresses within an hour"
    )


def dedup(event):
    return event.get("actor_arn", "")


def alert_context(event):
    return {
        "actor_arn": event.get("actor_arn"),
        "account_id": event.get("account_id"),
        "source_ips": pretty_list(event.get("source_ips") or [], limit=10),
        "login_count": event.get("login_count"),
    }
