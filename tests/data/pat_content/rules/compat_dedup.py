def rule(event):
    return True

def title(event):
    return event.get("t")

def dedup(event):
    if event.get("fail"):
        raise ValueError("dedup broke")
    return event.get("d")

def unique(event):
    return event.get("u", "uniq")
