#!/usr/bin/env bash
# Registers the Approvals API in Microsoft Entra ID (docs/DEPLOY.md, step 0) — what Bicep cannot express here:
#   - an app registration "Approvals API (<env>)" with identifier URI api://<client id>, v2.0 access tokens, the
#     app roles Approvals.Request / Approvals.Audit / Approvals.Admin, and a delegated scope access_as_user that only
#     an administrator may consent to, with the Azure CLI pre-authorized for it (so
#     `az account get-access-token --scope api://<id>/access_as_user` works) — in a second request, once the scope is
#     saved, because Entra refuses a body that pre-authorizes a scope it defines itself;
#   - its service principal with "assignment required", so only people given a role get a token at all;
#   - optionally, groups assigned to the roles (--helpdesk-group → Request, --auditors-group → Audit,
#     --admins-group → Admin).
# It stores APPROVALS_API_CLIENT_ID and APPROVALS_API_IDENTIFIER_URI in the azd environment, which main.bicep reads.
# azd runs it before provisioning (azure.yaml, preprovision). Idempotent: what exists is kept, what is missing is added
# (run it again after an interruption). --dry-run changes nothing.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: infra/scripts/register-api.sh [--env NAME] [--helpdesk-group ID] [--auditors-group ID] [--admins-group ID] [--graph URL] [--dry-run]
  --env              environment name (default: azd's AZURE_ENV_NAME)
  --helpdesk-group   object id of the group whose members may request resets (Approvals.Request)
  --auditors-group   object id of the group that may read every approval (Approvals.Audit)
  --admins-group     object id of the group that may cancel any approval (Approvals.Admin)
  --graph            Microsoft Graph root (default https://graph.microsoft.com; sovereign clouds differ)
  --dry-run          print what would be sent; change nothing
Groups default to the azd values APPROVALS_HELPDESK_GROUP_ID, APPROVALS_AUDITORS_GROUP_ID, APPROVALS_ADMINS_GROUP_ID.
USAGE
}

azd_value() { azd env get-value "$1" 2>/dev/null || true; }

env_name="" helpdesk="" auditors="" admins="" graph="https://graph.microsoft.com" dry=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) env_name="${2:?--env needs a value}"; shift 2 ;;
    --helpdesk-group) helpdesk="${2:?--helpdesk-group needs a value}"; shift 2 ;;
    --auditors-group) auditors="${2:?--auditors-group needs a value}"; shift 2 ;;
    --admins-group) admins="${2:?--admins-group needs a value}"; shift 2 ;;
    --graph) graph="${2:?--graph needs a value}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -n "$env_name" ]] || env_name="${AZURE_ENV_NAME:-$(azd_value AZURE_ENV_NAME)}"
[[ -n "$helpdesk" ]] || helpdesk="${APPROVALS_HELPDESK_GROUP_ID:-$(azd_value APPROVALS_HELPDESK_GROUP_ID)}"
[[ -n "$auditors" ]] || auditors="${APPROVALS_AUDITORS_GROUP_ID:-$(azd_value APPROVALS_AUDITORS_GROUP_ID)}"
[[ -n "$admins" ]] || admins="${APPROVALS_ADMINS_GROUP_ID:-$(azd_value APPROVALS_ADMINS_GROUP_ID)}"

guid='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
[[ "$env_name" =~ ^[A-Za-z0-9-]{1,64}$ ]] || { echo "--env must be the environment name (letters, digits, '-'); azd env has none" >&2; exit 2; }
for pair in "helpdesk-group:$helpdesk" "auditors-group:$auditors" "admins-group:$admins"; do
  value="${pair#*:}"
  [[ -z "$value" || "$value" =~ $guid ]] || { echo "--${pair%%:*} must be a group's object id (a GUID)" >&2; exit 2; }
done
[[ "$graph" =~ ^https://[A-Za-z0-9.-]+$ ]] || { echo "--graph must be https://host, without a path" >&2; exit 2; }

# Microsoft Azure CLI's application id (Microsoft's first-party app list; docs/DEPLOY.md cites it).
azure_cli="04b07795-8ddb-461a-bbee-02f9e1bf7b46"
name="Approvals API ($env_name)"
new_id() { cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen; }
send() { # METHOD URL BODY
  if [[ $dry -eq 1 ]]; then echo "would $1 $2 $3" >&2; return 0; fi
  az rest -m "$1" -u "$2" --headers Content-Type=application/json --body "$3" >/dev/null
}
get() { az rest -m GET -u "$1" --query "$2" -o tsv; }
create() { # URL BODY — prints the new object's id
  if [[ $dry -eq 1 ]]; then echo "would POST $1 $2" >&2; echo "dry-run-id"; return 0; fi
  az rest -m POST -u "$1" --headers Content-Type=application/json --body "$2" --query id -o tsv
}

# The delegated scope. "type": "Admin": only an administrator may consent to it, never a user for themselves
# (permissionScope, https://learn.microsoft.com/graph/api/resources/permissionscope).
scope_json() { # ID
  printf '{"id":"%s","value":"access_as_user","type":"Admin","isEnabled":true,%s}' "$1" \
    '"adminConsentDisplayName":"Use Approvals as the signed-in user","adminConsentDescription":"Call the Approvals API as the signed-in user; what they may do comes from their app roles."'
}

# 1. The app registration, found by its display name (one per environment), created with the scope.
app=$(get "$graph/v1.0/applications?\$filter=displayName eq '$name'" "value[0].id")
if [[ -z "$app" ]]; then
  scope=$(new_id); request=$(new_id); audit=$(new_id); admin=$(new_id)
  body=$(cat <<JSON
{"displayName":"$name","signInAudience":"AzureADMyOrg",
 "api":{"requestedAccessTokenVersion":2,"oauth2PermissionScopes":[$(scope_json "$scope")]},
 "appRoles":[
  {"id":"$request","value":"Approvals.Request","displayName":"Approvals requester","description":"Ask for password resets; read, cancel and collect the temporary password of one's own requests.","allowedMemberTypes":["User"],"isEnabled":true},
  {"id":"$audit","value":"Approvals.Audit","displayName":"Approvals auditor","description":"Read the status and history of every approval.","allowedMemberTypes":["User","Application"],"isEnabled":true},
  {"id":"$admin","value":"Approvals.Admin","displayName":"Approvals administrator","description":"Read and cancel any approval.","allowedMemberTypes":["User"],"isEnabled":true}]}
JSON
)
  app=$(create "$graph/v1.0/applications" "$body")
  echo "created: app registration '$name' (scope access_as_user, admin consent only)"
else
  echo "kept: app registration '$name'"
  # A registration from an earlier run: add the scope if it has none, make it admin-consent-only if it is not.
  scope=$(get "$graph/v1.0/applications/$app" "api.oauth2PermissionScopes[?value=='access_as_user'].id | [0]")
  consent=""
  [[ -z "$scope" ]] || consent=$(get "$graph/v1.0/applications/$app" "api.oauth2PermissionScopes[?value=='access_as_user'].type | [0]")
  if [[ -z "$scope" || "$consent" != Admin ]]; then
    [[ -n "$scope" ]] || scope=$(new_id)
    send PATCH "$graph/v1.0/applications/$app" "{\"api\":{\"oauth2PermissionScopes\":[$(scope_json "$scope")]}}"
    echo "set: scope access_as_user, admin consent only"
  fi
fi

# 1b. The Azure CLI pre-authorized for the scope — a request of its own, after the one that saved the scope: Entra
# does not recognise a pre-authorized permission id that the same body defines (microsoftgraph/microsoft-graph-docs
# #20177; docs/DEPLOY.md, step 0). This registration pre-authorizes the Azure CLI only, so the list is set whole.
preauthorized=""
[[ "$app" == dry-run-id ]] || preauthorized=$(get "$graph/v1.0/applications/$app" \
  "api.preAuthorizedApplications[?appId=='$azure_cli'].delegatedPermissionIds[] | [?@=='$scope'] | [0]")
if [[ -z "$preauthorized" ]]; then
  send PATCH "$graph/v1.0/applications/$app" \
    "{\"api\":{\"preAuthorizedApplications\":[{\"appId\":\"$azure_cli\",\"delegatedPermissionIds\":[\"$scope\"]}]}}"
  echo "pre-authorized: Azure CLI for access_as_user"
else
  echo "kept: Azure CLI pre-authorized for access_as_user"
fi

if [[ "$app" == dry-run-id ]]; then client="<new client id>"; else client=$(get "$graph/v1.0/applications/$app" "appId"); fi
uri="api://$client"
have_uri=""
[[ "$app" == dry-run-id ]] || have_uri=$(get "$graph/v1.0/applications/$app" "identifierUris[?@=='$uri'] | [0]")
if [[ -z "$have_uri" ]]; then
  send PATCH "$graph/v1.0/applications/$app" "{\"identifierUris\":[\"$uri\"]}"
  echo "set: identifier URI $uri"
fi

# 2. Its service principal, with assignment required.
sp=""
[[ "$app" == dry-run-id ]] || sp=$(get "$graph/v1.0/servicePrincipals?\$filter=appId eq '$client'" "value[0].id")
if [[ -z "$sp" ]]; then
  sp=$(create "$graph/v1.0/servicePrincipals" "{\"appId\":\"$client\",\"appRoleAssignmentRequired\":true}")
  echo "created: service principal (assignment required)"
else
  send PATCH "$graph/v1.0/servicePrincipals/$sp" '{"appRoleAssignmentRequired":true}'
  echo "kept: service principal (assignment required)"
fi

# 3. Groups to roles.
assign() { # GROUP ROLE_VALUE
  [[ -n "$1" ]] || return 0
  local role have
  if [[ "$sp" == dry-run-id ]]; then echo "would assign: group $1 → $2" >&2; return 0; fi
  role=$(get "$graph/v1.0/servicePrincipals/$sp" "appRoles[?value=='$2'].id | [0]")
  [[ -n "$role" ]] || { echo "the API has no app role $2" >&2; exit 1; }
  have=$(get "$graph/v1.0/servicePrincipals/$sp/appRoleAssignedTo" "value[?principalId=='$1' && appRoleId=='$role'].id | [0]")
  if [[ -n "$have" ]]; then echo "kept: group $1 → $2"; return 0; fi
  send POST "$graph/v1.0/servicePrincipals/$sp/appRoleAssignedTo" "{\"principalId\":\"$1\",\"resourceId\":\"$sp\",\"appRoleId\":\"$role\"}"
  echo "assigned: group $1 → $2"
}
assign "$helpdesk" Approvals.Request
assign "$auditors" Approvals.Audit
assign "$admins" Approvals.Admin

# 4. What main.bicep reads.
if [[ $dry -eq 0 ]] && command -v azd >/dev/null 2>&1; then
  azd env set APPROVALS_API_CLIENT_ID "$client" >/dev/null
  azd env set APPROVALS_API_IDENTIFIER_URI "$uri" >/dev/null
fi
echo "APPROVALS_API_CLIENT_ID=$client"
echo "APPROVALS_API_IDENTIFIER_URI=$uri"
