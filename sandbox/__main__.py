"""`python -m sandbox`: run the demo organisations until Ctrl-C and print how to connect to them."""

import argparse
import threading

from sandbox import Sandbox
from sandbox.demo import DEMO_ORGS, add_demo_orgs


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--redirect-uri", default="http://127.0.0.1:5000/oauth/callback",
                        help="redirect URI registered for the OAuth2 client of each organisation")
    parser.add_argument("--ports", default="", help="fixed ports for the organisations, e.g. 8081,8082 "
                                                     "(default: free ports, different on every run)")
    parser.add_argument("--root", help="storage directory (default: a temporary directory, removed on exit)")
    parser.add_argument("--smtp-port", type=int, default=0, help="port of the sandbox's SMTP server on 127.0.0.1 "
                                                                 "(default: a free port)")
    args = parser.parse_args(argv)

    sandbox = Sandbox(root=args.root, smtp_port=args.smtp_port)
    orgs = add_demo_orgs(sandbox, ports=[int(p) for p in args.ports.split(",") if p.strip()])
    sandbox.start()
    try:
        for demo in DEMO_ORGS:
            org = orgs[demo.key]
            client_id, client_secret = org.register_client("Lerend Netwerk", args.redirect_uri)
            print(f"{demo.name} ({demo.key})")
            print(f"  base URL       {org.base_url}")
            print(f"  pages          {org.base_url}/index.php/apps/sandbox/ (sign in as any user below)")
            print(f"  OAuth2 client  id     {client_id}")
            print(f"                 secret {client_secret}")
            print(f"  redirect URI   {args.redirect_uri}")
            for user in demo.users:
                print(f"  login {user.uid:<16} password {user.password:<16} {user.display_name} "
                      f"<{demo.email(user.uid)}>")
            print()
        print(f"SMTP server      {sandbox.smtp.host} port {sandbox.smtp.port} (no TLS, no login); "
              "read the mail under Mail in the pages")
        print("Running; press Ctrl-C to stop.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
