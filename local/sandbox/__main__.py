from local.sandbox.server import main

main()
