"""Input fields shared by the API serializers."""

from rest_framework import serializers

#: The tenant's own user id: any non-empty string up to 255 characters.
USER_ID_MAX = 255
#: Action codes: letters, digits and ``_ - . :``, up to 100 characters.
ACTION_CODE_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"


class PhoneNumberField(serializers.RegexField):
    """An E.164-style phone number."""

    def __init__(self, **kwargs):
        super().__init__(r"^\+?[0-9 ()\-]{6,32}$", max_length=32, **kwargs)
