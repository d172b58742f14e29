from ninja import NinjaAPI

api = NinjaAPI(title="OneWindow API", version="1", urls_namespace="api")
