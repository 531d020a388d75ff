def get_user(event):
    return event.deep_get('actor', 'name')
