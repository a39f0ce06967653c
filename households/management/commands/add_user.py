from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from households.services.accounts import user_add
from portal.models import Role

# English for the service's own errors, so the CLI speaks both languages whether or not
# the message catalogue has been compiled. Django's own messages (password validators,
# username) are translated by Django itself.
ENGLISH = {
    "unknown_role": "unknown role %(role)s (choose one of: %(choices)s)",
    "compound_not_for_role": "a street officer is scoped to a street office: use "
    "--street-office, not --compound",
    "street_office_required": "role street_officer needs --street-office CODE",
    "street_office_not_found": "no street office with code %(code)s",
    "street_office_not_for_role": "this role is scoped to a compound: use --compound, "
    "not --street-office",
    "compound_required": "this role needs --compound CODE",
    "compound_not_found": "no compound with code %(code)s",
    "no_service_company": "compound %(compound)s has no service company yet, so there is "
    "no company to add staff to",
    "owner_id_not_for_role": "--owner-id-number is only for role resident",
    "owner_id_required": "role resident needs --owner-id-number to link the owner",
    "owner_not_found": "no owner with ID number %(masked)s in compound %(compound)s",
    "owner_linked_elsewhere": "owner %(owner)s is already linked to another account (%(other)s)",
    "property_unit_not_for_role": "--property-unit is only for role property_unit_rep",
    "property_unit_not_found": "no property-right unit named %(name)s in compound %(compound)s",
    "district_not_for_role": "only role district_officer is scoped to a district: leave out "
    "--district",
    "scope_not_for_district": "a district officer is scoped to a district: use --district, "
    "not --street-office or --compound",
    "district_required": "role district_officer needs --district CODE",
    "district_not_found": "no district with code %(code)s",
    "password_required": "the password must not be empty",
    "admin_not_for_role": "--admin is only for role street_officer (the read-only admin "
    "of their street office's compounds)",
}


def bilingual(error: ValidationError) -> str:
    """Each message as '中文 / English'."""
    lines = []
    if hasattr(error, "error_dict"):
        items = [item for errors in error.error_dict.values() for item in errors]
    else:
        items = error.error_list
    for item in items:
        params = item.params or {}
        with translation.override("zh-hans"):
            zh = str(item.message % params if params else item.message)
        if item.code in ENGLISH:
            en = ENGLISH[item.code] % {k: str(v) for k, v in params.items()}
        else:  # Django's own messages; already a plain string if Django translated eagerly
            with translation.override("en"):
                en = str(item.message % params if params else item.message)
        lines.append(zh if zh == en else f"{zh} / {en}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Create or update an account and give it one role: district_officer "
        "(--district: reads its street offices' boards), street_officer "
        "(--street-office), committee_member, company_staff, property_unit_rep "
        "[--property-unit NAME] or resident (--compound, and --owner-id-number for "
        "residents). --admin (street officers only) opens the read-only admin of their "
        "street office's compounds. Running it twice changes nothing but the password."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--street-office", default="", help="street office code (街道代码)")
        scope.add_argument("--compound", default="", help="compound code (小区代码)")
        scope.add_argument(
            "--district", default="", help="district_officer: district code (区代码), e.g. hd"
        )
        parser.add_argument(
            "--owner-id-number", default="", help="residents: the owner's ID number"
        )
        parser.add_argument(
            "--property-unit",
            default="",
            help="property_unit_rep: the property-right unit (产权单位) they represent",
        )
        parser.add_argument("--name", default="", help="display name (姓名)")
        parser.add_argument(
            "--admin",
            action="store_true",
            help="street_officer only: set is_staff for the read-only admin (只读后台) "
            "of the street office's compounds",
        )

    def handle(self, *args, **options):
        try:
            with translation.override("zh-hans"):
                result = user_add(
                    username=options["username"],
                    password=options["password"],
                    role=options["role"],
                    street_office_code=options["street_office"],
                    compound_code=options["compound"],
                    district_code=options["district"],
                    owner_id_number=options["owner_id_number"],
                    property_unit_name=options["property_unit"],
                    display_name=options["name"],
                    admin=options["admin"],
                )
        except ValidationError as exc:
            raise CommandError(bilingual(exc)) from None

        m = result.membership
        scope = m.district or m.street_office or m.compound or m.service_company
        verb = "已创建 / created" if result.user_created else "已更新 / updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb}: {result.user.get_username()} · {m.role} · {scope}")
        )
        if "admin" in result.changes:
            self.stdout.write("已开通只读后台 / read-only admin enabled (is_staff)")
        if not result.changes:
            self.stdout.write("无变化 / nothing changed")
        for owner in result.linked_owners:
            self.stdout.write(f"关联业主 / linked owner: {owner.name} ({owner.masked_id_number})")
        if result.property_unit is not None:
            self.stdout.write(f"产权单位代表 / represents: {result.property_unit.name}")
        if result.replaced_representative:
            self.stdout.write(
                self.style.WARNING(
                    f"替换原代表 / replaced representative: {result.replaced_representative}"
                )
            )
