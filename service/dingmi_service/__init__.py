"""dingmi_service: the review service (FastAPI) over the dingmi engine.

承办人 submit documents, the engine suggests a classification, 定密责任人 decide; every state
change is kept in a hash-chained audit log. Run with ``dingmi serve``; manage accounts with
``dingmi users add``, the organisation with ``dingmi org set``, the schema with ``dingmi db
upgrade`` and check the log with ``dingmi audit verify``.
"""
