def rule(event):
    return event["EVENTNAME"] == "x" and event.deep_get("nested", "INNER") == 1 and event["items"][0]["KEY"] == "v"
