#!/usr/bin/env bash
# Grants the app's managed identity what Microsoft Graph requires before a password reset can succeed
# (docs/DEPLOY.md, step 3):
#   - the application permissions User-PasswordProfile.ReadWrite.All (set passwordProfile) and User.Read.All
#     (read lastPasswordChangeDateTime),
#   - with --access, GroupMember.ReadWrite.All (add and remove members of the groups time-boxed access grants), and
#   - the User Administrator directory role on one administrative unit (--admin-unit ID: the natural way to limit
#     which users a helpdesk can reset) or, only when asked for in so many words, on the whole tenant (--tenant-wide).
# Run it signed in (az login) as a Privileged Role Administrator or Global Administrator of the tenant. Assigning a
# directory role through Graph needs the delegated permission RoleManagement.ReadWrite.Directory in your token
# (https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments), which the Azure CLI's token may not
# carry (Azure/azure-cli#26471: 403 PermissionScopeNotGranted on roleManagement/directory); if that step is refused,
# the script says how to assign the role in the Microsoft Entra admin center instead (docs/DEPLOY.md, step 3).
# Idempotent: what is already granted is left alone. --dry-run prints the requests and changes nothing.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: infra/scripts/grant-graph.sh (--admin-unit ADMIN_UNIT_ID | --tenant-wide) [--principal-id OBJECT_ID] [--access] [--tap] [--graph URL] [--dry-run]
  --admin-unit    the User Administrator role on this administrative unit only: the app can reset its members alone
  --tenant-wide   the User Administrator role over the whole tenant (every non-administrator can be reset)
  --principal-id  the managed identity's object id (default: azd env value MANAGED_IDENTITY_PRINCIPAL_ID)
  --access        also grant GroupMember.ReadWrite.All, for time-boxed access (APPROVALS_ACCESS_GROUPS)
  --tap           also grant UserAuthMethod-TAP.ReadWrite.All and the Authentication Administrator role (same scope),
                  for the Temporary Access Pass action
  --graph         Microsoft Graph root (default https://graph.microsoft.com; sovereign clouds differ)
  --dry-run       print what would be sent; change nothing
USAGE
}

principal="" unit="" tenant="" graph="https://graph.microsoft.com" dry=0 access="" tap=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --principal-id) principal="${2:?--principal-id needs a value}"; shift 2 ;;
    --admin-unit) unit="${2:?--admin-unit needs a value}"; shift 2 ;;
    --tenant-wide) tenant=1; shift ;;
    --graph) graph="${2:?--graph needs a value}"; shift 2 ;;
    --access) access=1; shift ;;
    --tap) tap=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
# The role's reach is never a default: one administrative unit, or the whole tenant said in so many words.
[[ -n "$unit" || -n "$tenant" ]] || { echo "choose the User Administrator role's scope: --admin-unit ID (one administrative unit) or --tenant-wide" >&2; usage >&2; exit 2; }
[[ -z "$unit" || -z "$tenant" ]] || { echo "--admin-unit and --tenant-wide exclude each other" >&2; exit 2; }
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
# A Temporary Access Pass: the least privileged application permission for creating one
# (https://learn.microsoft.com/en-us/graph/api/authentication-post-temporaryaccesspassmethods, "Permissions").
[[ -n "$tap" ]] && permissions+=(UserAuthMethod-TAP.ReadWrite.All)
for permission in "${permissions[@]}"; do
  role=$(get "$graph/v1.0/servicePrincipals/$graphSp" "appRoles[?value=='$permission'].id | [0]")
  [[ -n "$role" ]] || { echo "Graph has no application permission $permission" >&2; exit 1; }
  have=$(get "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" "value[?appRoleId=='$role'].id | [0]")
  if [[ -n "$have" ]]; then echo "kept: $permission"; continue; fi
  send POST "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" \
    "{\"principalId\":\"$principal\",\"resourceId\":\"$graphSp\",\"appRoleId\":\"$role\"}"
  echo "granted: $permission"
done

# The directory roles, by display name (no hard-coded id), on the administrative unit or the whole tenant.
scope="/"; [[ -n "$unit" ]] && scope="/administrativeUnits/$unit"
role_by_hand() { # ROLE — Graph refused the directory-role step (often: the Azure CLI's token lacks RoleManagement.ReadWrite.Directory)
  local where="Identity > Roles & admins > Roles & admins > $1 > Add assignments"
  [[ -n "$unit" ]] && where="Identity > Roles & admins > Admin units > (the unit $unit) > Roles and administrators > $1 > Add assignments"
  cat >&2 <<TEXT
The $1 role could not be assigned through Microsoft Graph (above). The permissions are granted; assign
the role in the Microsoft Entra admin center (https://entra.microsoft.com), signed in as a Privileged Role
Administrator: $where, and select the managed identity $principal (docs/DEPLOY.md, step 3).
TEXT
  exit 1
}
assign_role() { # ROLE
  local definition have
  definition=$(get "$graph/v1.0/roleManagement/directory/roleDefinitions?\$filter=displayName eq '$1'" "value[0].id") || role_by_hand "$1"
  [[ -n "$definition" ]] || { echo "the $1 role definition was not found" >&2; exit 1; }
  have=$(get "$graph/v1.0/roleManagement/directory/roleAssignments?\$filter=principalId eq '$principal' and roleDefinitionId eq '$definition'" "value[?directoryScopeId=='$scope'].id | [0]") || role_by_hand "$1"
  if [[ -n "$have" ]]; then
    echo "kept: $1 on $scope"
  else
    send POST "$graph/v1.0/roleManagement/directory/roleAssignments" \
      "{\"principalId\":\"$principal\",\"roleDefinitionId\":\"$definition\",\"directoryScopeId\":\"$scope\"}" || role_by_hand "$1"
    echo "assigned: $1 on $scope"
  fi
}
assign_role "User Administrator"
# A pass for a user needs a role that manages their authentication methods: Authentication Administrator, for users
# without an admin role (Privileged Authentication Administrator, for any user, is deliberately not granted):
# https://learn.microsoft.com/en-us/graph/api/authentication-post-temporaryaccesspassmethods ("Permissions") and
# https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference#authentication-administrator
[[ -n "$tap" ]] && assign_role "Authentication Administrator"
exit 0
