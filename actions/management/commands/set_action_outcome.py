"""``manage.py set_action_outcome --tenant ID ACTION OUTCOME``."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._tenant_arg import add_tenant_argument, tenant_from_options
from actions.models import Outcome
from actions.services import action_config_set
from recognize_project.fields import ACTION_CODE_MESSAGE, action_code_is_valid


class Command(BaseCommand):
    help = "Set the default outcome of an action code for a tenant."

    def add_arguments(self, parser):
        add_tenant_argument(parser)
        parser.add_argument("action")
        parser.add_argument("outcome", choices=Outcome.values)

    def handle(self, *args, action: str, outcome: str, **options):
        if not action_code_is_valid(action):
            raise CommandError(ACTION_CODE_MESSAGE)
        config = action_config_set(
            tenant=tenant_from_options(options), action_code=action, outcome=outcome
        )
        self.stdout.write(f"{config.action_code}: {config.default_outcome}")
