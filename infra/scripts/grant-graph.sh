#!/usr/bin/env bash
# Grants the app's managed identity what Microsoft Graph requires before a password reset can succeed
# (docs/DEPLOY.md, step 3):
#   - the application permissions User-PasswordProfile.ReadWrite.All (set passwordProfile) and User.Read.All
#     (read lastPasswordChangeDateTime),
#   - with --access, GroupMember.ReadWrite.All (add and remove members of the groups time-boxed access grants), and
#   - the User Administrator directory role, tenant-wide or — narrower, and the natural way to limit which users a
#     helpdesk can reset — on one administrative unit (--admin-unit ID).
# Run it signed in (az login) as a Privileged Role Administrator or Global Administrator of the tenant.
# Idempotent: what is already granted is left alone. --dry-run prints the requests and changes nothing.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: infra/scripts/grant-graph.sh [--principal-id OBJECT_ID] [--admin-unit ADMIN_UNIT_ID] [--access] [--graph URL] [--dry-run]
  --principal-id  the managed identity's object id (default: azd env value MANAGED_IDENTITY_PRINCIPAL_ID)
  --admin-unit    scope the User Administrator role to this administrative unit instead of the whole tenant
  --access        also grant GroupMember.ReadWrite.All, for time-boxed access (APPROVALS_ACCESS_GROUPS)
  --graph         Microsoft Graph root (default https://graph.microsoft.com; sovereign clouds differ)
  --dry-run       print what would be sent; change nothing
USAGE
}

principal="" unit="" graph="https://graph.microsoft.com" dry=0 access=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --principal-id) principal="${2:?--principal-id needs a value}"; shift 2 ;;
    --admin-unit) unit="${2:?--admin-unit needs a value}"; shift 2 ;;
    --graph) graph="${2:?--graph needs a value}"; shift 2 ;;
    --access) access=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [[ -z "$principal" ]]; then
  principal=$(azd env get-value MANAGED_IDENTITY_PRINCIPAL_ID 2>/dev/null || true)
fi
guid='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
[[ "$principal" =~ $guid ]] || { echo "--principal-id must be the managed identity's object id (a GUID); azd env has none" >&2; exit 2; }
[[ -z "$unit" || "$unit" =~ $guid ]] || { echo "--admin-unit must be an administrative unit's object id (a GUID)" >&2; exit 2; }
[[ "$graph" =~ ^https://[A-Za-z0-9.-]+$ ]] || { echo "--graph must be https://host, without a path" >&2; exit 2; }

send() { # METHOD URL [BODY]
  if [[ $dry -eq 1 ]]; then echo "would $1 $2 ${3:-}"; return 0; fi
  if [[ -n "${3:-}" ]]; then az rest -m "$1" -u "$2" --headers Content-Type=application/json --body "$3"; else az rest -m "$1" -u "$2"; fi
}
get() { az rest -m GET -u "$1" --query "$2" -o tsv; }

# Application permissions on Microsoft Graph's service principal (appId 00000003-0000-0000-c000-000000000000).
graphSp=$(get "$graph/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')" id)
permissions=(User-PasswordProfile.ReadWrite.All User.Read.All)
# Time-boxed access adds and removes group members: the least privileged application permission for both calls.
[[ -n "$access" ]] && permissions+=(GroupMember.ReadWrite.All)
for permission in "${permissions[@]}"; do
  role=$(get "$graph/v1.0/servicePrincipals/$graphSp" "appRoles[?value=='$permission'].id | [0]")
  [[ -n "$role" ]] || { echo "Graph has no application permission $permission" >&2; exit 1; }
  have=$(get "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" "value[?appRoleId=='$role'].id | [0]")
  if [[ -n "$have" ]]; then echo "kept: $permission"; continue; fi
  send POST "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" \
    "{\"principalId\":\"$principal\",\"resourceId\":\"$graphSp\",\"appRoleId\":\"$role\"}"
  echo "granted: $permission"
done

# The directory role, by its display name (no hard-coded id), tenant-wide or on one administrative unit.
definition=$(get "$graph/v1.0/roleManagement/directory/roleDefinitions?\$filter=displayName eq 'User Administrator'" "value[0].id")
[[ -n "$definition" ]] || { echo "the User Administrator role definition was not found" >&2; exit 1; }
scope="/"; [[ -n "$unit" ]] && scope="/administrativeUnits/$unit"
have=$(get "$graph/v1.0/roleManagement/directory/roleAssignments?\$filter=principalId eq '$principal' and roleDefinitionId eq '$definition'" "value[?directoryScopeId=='$scope'].id | [0]")
if [[ -n "$have" ]]; then
  echo "kept: User Administrator on $scope"
else
  send POST "$graph/v1.0/roleManagement/directory/roleAssignments" \
    "{\"principalId\":\"$principal\",\"roleDefinitionId\":\"$definition\",\"directoryScopeId\":\"$scope\"}"
  echo "assigned: User Administrator on $scope"
fi
