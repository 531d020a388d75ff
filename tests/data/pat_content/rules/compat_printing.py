def rule(event):
    print("checking", event["n"])
    return event["n"] > 1
