from .selectors import unread_count


def bell(request):
    """The unread count of the header's bell (one COUNT on an index, logged-in pages only)."""
    user = getattr(request, "user", None)
    return {"unread_notifications": unread_count(user=user) if user is not None and user.is_authenticated else 0}
