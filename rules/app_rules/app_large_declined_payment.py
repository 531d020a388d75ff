"""A large payment declined for a card from a high-risk country (card testing or fraud)."""

from workbench_helpers import HIGH_RISK_COUNTRIES, to_float

MIN_AMOUNT_USD = 5000


def rule(event):
    return (
        str(event.get("status")) == "402"
        and to_float(event.get("amount_usd")) >= MIN_AMOUNT_USD
        and str(event.get("card_country", "")).upper() in HIGH_RISK_COUNTRIES
    )


def title(event):
    return (f"Payments: ${to_float(event.get('amount_usd')):,.2f} declined for a {event.get('card_country')} card "
            f"from {event.get('client_ip')}")


def dedup(event):
    return str(event.get("client_ip"))


def alert_context(event):
    return {
        "request_id": event.get("request_id"),
        "user": event.get("user_email"),
        "client_ip": event.get("client_ip"),
        "amount_usd": to_float(event.get("amount_usd")),
        "card_country": event.get("card_country"),
        "message": event.get("message"),
    }
