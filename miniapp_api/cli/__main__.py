from miniapp_api.cli import main

main()
