def rule(event):
    return event.udm("source_ip") is not None

def title(event):
    return " | ".join(str(x) for x in (
        event.udm_path("source_ip"), event.udm_path("actor_user"), event.udm_path("tag"),
        event.udm_path("dotted"), event.udm_path("nothing"), event.udm_path("not_mapped"),
        event.udm("dotted"), event.udm("first_tag"), event.udm("p_only"), event.udm("plain", "deeper")))

def alert_context(event):
    return {"city": event.deep_get("p_enrichment", "geo", event.udm_path("source_ip"), "city"),
            "lookup": event.lookup("geo", "1.2.3.4"), "udm_list": event.udm("tag_list")}
