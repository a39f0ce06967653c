import unicodedata

from django.core.management.base import BaseCommand
from django.utils import translation

from board.demo import DEMO_PASSWORD, seed_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = (
        "Build the demo: 学院南路32号院 (1,412 households) in 北太平庄街道, a small compound "
        "of 花园路街道, each app's demo data, and one login per role. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--register-only",
            action="store_true",
            help="only the register and the logins, without the apps' demo data",
        )

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            result = seed_demo(apps=() if options["register_only"] else None)
            compound = result.compound
            self.stdout.write(
                self.style.SUCCESS(
                    f"演示数据就绪 / demo ready: {compound.name} ({compound.code}), "
                    f"{compound.units.count()} 户 / households"
                )
            )
            for module, ran in result.app_seeds.items():
                state = "已导入 / seeded" if ran else "未安装，跳过 / not present, skipped"
                self.stdout.write(f"  {module}: {state}")

            rows = [("用户名 login", "密码 password", "角色 role", "范围 scope", "首页 lands on")]
            rows += [
                (d.username, DEMO_PASSWORD, str(d.role.label), d.scope, d.path)
                for d in result.logins
            ]
            widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
            self.stdout.write("")
            for i, row in enumerate(rows):
                line = "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True))
                self.stdout.write(line.rstrip())
                if i == 0:
                    self.stdout.write("  ".join("-" * w for w in widths))
            self.stdout.write("")
            self.stdout.write("各账号看到什么 / what each login sees:")
            for d in result.logins:
                self.stdout.write(f"  {_pad(d.username, 10)} {d.sees}")
                self.stdout.write(f"  {_pad('', 10)} {d.sees_en}")
