"""marshmallow schemas: what goes over the wire. Messages are Chinese from the first schema on."""

from miniapp_api.schemas.messages import install_chinese_messages

install_chinese_messages()
