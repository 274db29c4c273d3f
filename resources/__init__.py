"""Icons, desktop files and the screenshot shipped with Epistola (``viewer.resources``)."""
