"""Queue sign-ups: ``python enqueue.py [COUNT] [--first ID]`` (users FIRST to FIRST+COUNT-1)."""

from __future__ import annotations

import argparse

from signup import sign_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int, nargs="?", default=20)
    parser.add_argument("--first", type=int, default=1, help="the first user's id")
    arguments = parser.parse_args()
    users = range(arguments.first, arguments.first + arguments.count)
    for user_id in users:
        sign_up.delay(user_id, f"user-{user_id:02d}@example.com", "Ada", f"Signup{user_id}")
    print(f"queued the sign-ups of users {users.start} to {users.stop - 1}")


if __name__ == "__main__":
    main()
