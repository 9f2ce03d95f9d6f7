"""Input fields shared by the API serializers."""

from rest_framework import serializers

#: The tenant's own user id: any non-empty string up to 255 characters.
USER_ID_MAX = 255
#: Action codes: letters, digits and ``_ - . :``, up to 100 characters.
ACTION_CODE_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"


class PhoneNumberField(serializers.CharField):
    """A phone number as typed; the service normalises it to E.164 with the tenant's region and
    refuses one that cannot be a number, saying what to type (``accounts.phones``)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)
