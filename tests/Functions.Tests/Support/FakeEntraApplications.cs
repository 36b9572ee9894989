namespace Approvals.Functions.Tests.Support;

/// <summary>Microsoft Graph's <c>applications</c> collection of one tenant, answered as Entra answers it, for the
/// stand-in <c>az</c>: what a request saves, later requests see; a request Entra refuses is refused with Graph's error
/// body. Install with <c>az.Answer(apps.Arm + …, apps.Functions)</c>. Routes and queries it does not model exit 9.</summary>
public sealed class FakeEntraApplications(FakeAz az, string clientId)
{
    /// <summary>The object id the collection gives the application it creates.</summary>
    public const string ObjectId = "app-obj";

    /// <summary>The <c>case</c> arm that sends every applications call to the model.</summary>
    public const string Arm = """  *"/v1.0/applications"*) applications ;;""" + "\n";

    string Saved => Path.Combine(az.State, "app");

    /// <summary>An application registered before the script runs: one scope, optionally the Azure CLI pre-authorized
    /// for it, optionally an identifier URI.</summary>
    public void Seed(string scopeId, string scopeType, bool cliPreAuthorized, bool identifierUri = true)
    {
        Directory.CreateDirectory(Saved);
        File.WriteAllText(Path.Combine(Saved, "id"), ObjectId + "\n");
        File.WriteAllText(Path.Combine(Saved, "scopes"), $"{scopeId} {scopeType} access_as_user\n");
        File.WriteAllText(Path.Combine(Saved, "preauth"), cliPreAuthorized ? $"{AzureCli} {scopeId}\n" : "");
        File.WriteAllText(Path.Combine(Saved, "uris"), identifierUri ? $"api://{clientId}\n" : "");
    }

    /// <summary>The scopes saved now, one "id type value" line each.</summary>
    public string SavedScopes => File.Exists(Path.Combine(Saved, "scopes")) ? File.ReadAllText(Path.Combine(Saved, "scopes")) : "";

    /// <summary>The pre-authorizations saved now, one "appId permissionId" line each.</summary>
    public string SavedPreAuthorizations => File.Exists(Path.Combine(Saved, "preauth")) ? File.ReadAllText(Path.Combine(Saved, "preauth")) : "";

    /// <summary>Microsoft Azure CLI's application id.</summary>
    public const string AzureCli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

    /// <summary>The bash behind <see cref="Arm"/>.</summary>
    public string Functions => $$"""
        # One application's saved state in $state/app: id; scopes ("id type value" lines); preauth ("appId permissionId"
        # lines); uris (one per line).
        field() { grep -oE "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | head -n1 | sed -E 's/.*"([^"]*)"$/\1/'; }
        json_array() { # NAME: the [...] after "NAME": in the body, on one line (one level of nested arrays at most)
          printf '%s' "$body" | tr -d '\n' | grep -oE "\"$1\"[[:space:]]*:[[:space:]]*\\[([^][]|\\[[^][]*\\])*\\]" | head -n1 | sed -E 's/^[^[]*//'
        }
        has() { printf '%s' "$body" | tr -d '\n' | grep -qE "\"$1\"[[:space:]]*:"; }
        scopes_in_body() {
          json_array oauth2PermissionScopes | grep -oE '\{[^}]*\}' | while read -r scope; do
            printf '%s %s %s\n' "$(field id <<<"$scope")" "$(field type <<<"$scope")" "$(field value <<<"$scope")"
          done
        }
        preauth_in_body() {
          json_array preAuthorizedApplications | grep -oE '\{[^}]*\}' | while read -r entry; do
            client=$(field appId <<<"$entry")
            printf '%s' "$entry" | grep -oE '"delegatedPermissionIds"[^]]*\]' | grep -oE '"[^"]*"' | sed 1d | tr -d '"' |
              while read -r id; do echo "$client $id"; done
          done
        }
        # Entra recognises a pre-authorized permission only among the scopes the application has already saved — not
        # one defined in the same request body, which must be saved by an earlier request first
        # (microsoftgraph/microsoft-graph-docs#20177); the refusal is a 400 InvalidValue naming
        # api.preAuthorizedApplications.delegatedPermissionIds (microsoftgraph/microsoft-graph-docs#12675).
        refuse_unsaved_preauthorizations() { # SAVED_DIR
          local client id
          while read -r client id; do
            [[ -n "$id" ]] || continue
            cut -d' ' -f1 "$1/scopes" 2>/dev/null | grep -qxF "$id" ||
              graph_error 400 "Bad Request" InvalidValue "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets."
          done < <(preauth_in_body)
        }
        # Update application: "supply only the values for properties that should be updated"; the others keep their
        # values (https://learn.microsoft.com/graph/api/application-update). Modelled for the properties below, and
        # for api's sub-properties alike (our reading: #20177's two requests rely on it).
        save_body() { # SAVED_DIR
          has oauth2PermissionScopes && scopes_in_body > "$1/scopes"
          has preAuthorizedApplications && preauth_in_body > "$1/preauth"
          has identifierUris && json_array identifierUris | grep -oE '"[^"]*"' | tr -d '"' > "$1/uris"
          return 0
        }
        literal() { grep -oE "'[^']*'" <<<"$query" | sed -n "$1p" | tr -d "'"; }
        applications() {
          local dir="$state/app"
          case "$method $url" in
            "POST "*/v1.0/applications)
              refuse_unsaved_preauthorizations "$dir/none"
              mkdir -p "$dir"; echo {{ObjectId}} > "$dir/id"; : > "$dir/scopes"; : > "$dir/preauth"; : > "$dir/uris"
              save_body "$dir"
              echo {{ObjectId}} ;;
            "PATCH "*/v1.0/applications/{{ObjectId}})
              [[ -e "$dir/id" ]] || { echo "unexpected az call: no application $url" >&2; exit 9; }
              refuse_unsaved_preauthorizations "$dir"
              save_body "$dir" ;;
            "GET "*"/v1.0/applications?"*)
              cat "$dir/id" 2>/dev/null || echo ;;
            "GET "*/v1.0/applications/{{ObjectId}})
              [[ -e "$dir/id" ]] || { echo "unexpected az call: no application $url" >&2; exit 9; }
              case "$query" in
                appId) echo {{clientId}} ;;
                identifierUris*) grep -xF "$(literal 1)" "$dir/uris" || echo ;;
                *oauth2PermissionScopes*"].id"*) awk -v v="$(literal 1)" '$3 == v { print $1; exit }' "$dir/scopes" ;;
                *oauth2PermissionScopes*"].type"*) awk -v v="$(literal 1)" '$3 == v { print $2; exit }' "$dir/scopes" ;;
                *preAuthorizedApplications*) grep -xF "$(literal 1) $(literal 2)" "$dir/preauth" | cut -d' ' -f2 || echo ;;
                *) echo "unexpected az call: query $query" >&2; exit 9 ;;
              esac ;;
            *) echo "unexpected az call: $method $url" >&2; exit 9 ;;
          esac
        }
        """;
}
