using System.Text.Json.Nodes;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;

namespace Approvals.Local.Graph;

/// <summary>One request the local Graph answered (<see cref="At"/>: when it arrived), as its own log records it: what the
/// tests count from.</summary>
public sealed record GraphRequest(DateTimeOffset At, string Method, string Path, int Status, string? Code = null);

/// <summary>The local Microsoft Graph: the v1.0 calls this product makes, answered as Graph documents them (each
/// behaviour cites its page). State is the local directory — people and password sets (<see cref="FileUserDirectory"/>),
/// memberships (<see cref="FileGroups"/>), the groups (<see cref="LocalGroups"/>) — kept in the data directory; what
/// the app calling it may do is <see cref="App"/>. Faults (throttling, outages) are injected as the Indent emulator's are.</summary>
public sealed partial class GraphEmulator(FileUserDirectory people, FileGroups memberships, TimeProvider time)
{
    readonly Lock logGate = new();
    readonly List<GraphRequest> log = [];
    GraphApp app = GraphApp.Default;

    public FaultInjector Faults { get; } = new();

    public TimeProvider Time => time;

    /// <summary>The calling app's permissions and directory role (tests narrow them to see Graph's 403).</summary>
    public GraphApp App
    {
        get => Volatile.Read(ref app);
        set => Volatile.Write(ref app, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Every request answered, in order.</summary>
    public IReadOnlyList<GraphRequest> Requests
    {
        get
        {
            lock (logGate)
            {
                return [.. log];
            }
        }
    }

    /// <summary>Logs a request answered; <paramref name="arrivedAt"/> is when it arrived (so the gap between a refused
    /// request and its retry is what the client waited, whatever the handling took).</summary>
    internal void Record(DateTimeOffset arrivedAt, string method, string path, int status, string? code = null)
    {
        lock (logGate)
        {
            log.Add(new GraphRequest(arrivedAt, method, path, status, code));
        }
    }

    /// <summary>Properties returned when no <c>$select</c> is given, and those returned only on <c>$select</c>
    /// (https://learn.microsoft.com/en-us/graph/api/resources/user: "Returned only on $select" for accountEnabled,
    /// proxyAddresses, otherMails, lastPasswordChangeDateTime). Other user properties are not modelled.</summary>
    static readonly string[] DefaultProperties = ["id", "displayName", "userPrincipalName", "mail"];
    static readonly HashSet<string> SelectableProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "displayName", "userPrincipalName", "mail", "accountEnabled", "proxyAddresses", "otherMails", "lastPasswordChangeDateTime",
    };

    /// <summary><c>GET /users/{id | userPrincipalName}</c> (https://learn.microsoft.com/en-us/graph/api/user-get): the
    /// user, or 404.</summary>
    public JsonObject GetUser(string idOrUpn, string? select)
    {
        Require(GraphPermissions.UserRead, GraphPermissions.UserReadWrite);
        var properties = Properties(select);
        return Project(Find(idOrUpn), properties);
    }

    /// <summary><c>GET /users?$filter=…</c>: the people-resolving filters over mail, userPrincipalName, proxyAddresses
    /// and otherMails (<see cref="UserFilter"/>), as <c>{"value":[…]}</c>.</summary>
    public JsonObject ListUsers(string? filter, string? select, string? top)
    {
        Require(GraphPermissions.UserRead, GraphPermissions.UserReadWrite);
        var properties = Properties(select);
        var match = UserFilter.Parse(filter);
        var limit = 100;
        // $top: 1 to 999 for users (https://learn.microsoft.com/en-us/graph/api/user-list, Optional query parameters).
        if (top is not null && (!int.TryParse(top, out limit) || limit is < 1 or > 999))
        {
            throw GraphRefusalException.BadRequest($"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.");
        }

        var value = new JsonArray();
        foreach (var person in people.People().Values.Where(match).OrderBy(p => p.Id, StringComparer.Ordinal).Take(limit))
        {
            value.Add(Project(person, properties));
        }

        return new JsonObject { ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users", ["value"] = value };
    }

    /// <summary><c>PATCH /users/{id}</c> with <c>passwordProfile</c> (https://learn.microsoft.com/en-us/graph/api/user-update):
    /// 204. App-only it needs User-PasswordProfile.ReadWrite.All (or User.ReadWrite.All) and a directory role that may
    /// reset this user's password ("Who can reset passwords"), else 403; a federated user's password is not Entra's
    /// (the page: passwordProfile "cannot be used for federated users"; Graph does not document the status — 400 here).</summary>
    public async Task UpdatePasswordAsync(string idOrUpn, JsonObject body, CancellationToken cancellationToken)
    {
        var others = body.Select(p => p.Key).Where(k => k != "passwordProfile").ToList();
        if (others.Count > 0)
        {
            throw GraphRefusalException.NotModelled("PATCH of user properties other than passwordProfile (" + string.Join(", ", others) + ")");
        }

        if (body["passwordProfile"] is not JsonObject profile || profile["password"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            throw GraphRefusalException.BadRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.");
        }

        Require(GraphPermissions.PasswordProfile, GraphPermissions.UserReadWrite);
        var person = Find(idOrUpn);
        var inRoleAssignable = LocalGroups.Seed.Values.Any(g => g.IsAssignableToRole && memberships.Members(g.Id).Contains(person.Id));
        if (!DirectoryRoles.MayResetPassword(App.DirectoryRole, person.DirectoryRole, inRoleAssignable))
        {
            throw GraphRefusalException.Denied();
        }

        if (person.Federated)
        {
            throw GraphRefusalException.BadRequest("Unable to update the specified properties for objects that have originated within an external service.");
        }

        var password = profile["password"]!.GetValue<string>();
        if (!MeetsComplexity(password))
        {
            throw GraphRefusalException.BadRequest("The specified password does not comply with password complexity requirements. Please provide a different password.");
        }

        try
        {
            await people.SetTemporaryPasswordAsync(person.Id, password, cancellationToken);
        }
        catch (HttpRequestException)
        {
            // The store's injected outage: Graph's 503 (https://learn.microsoft.com/en-us/graph/errors: "The service is temporarily unavailable").
            throw new GraphRefusalException(503, "serviceNotAvailable", "The service is temporarily unavailable. Please try again later.", retryAfterSeconds: 1);
        }
    }

    /// <summary>Entra's password rule for cloud users: 8 to 256 characters, three of upper, lower, digit, symbol
    /// (https://learn.microsoft.com/en-us/entra/identity/authentication/concept-password-ban-bad-combined-policy).</summary>
    static bool MeetsComplexity(string password) =>
        password.Length is >= 8 and <= 256
        && new[] { password.Any(char.IsAsciiLetterUpper), password.Any(char.IsAsciiLetterLower), password.Any(char.IsAsciiDigit), password.Any(c => !char.IsAsciiLetterOrDigit(c)) }.Count(x => x) >= 3;

    /// <summary><c>POST /groups/{id}/members/$ref</c> (https://learn.microsoft.com/en-us/graph/api/group-post-members):
    /// 204; 400 when the object is already a member; 404 when the group or the object does not exist. Mail-enabled
    /// security groups are read-only through Graph (https://learn.microsoft.com/en-us/graph/api/resources/groups-overview:
    /// "Mail-enabled and distribution groups are read-only through Microsoft Graph"; the 400 and its wording as reported
    /// in microsoftgraph/microsoft-graph-docs#14827); a role-assignable group needs RoleManagement.ReadWrite.Directory.</summary>
    public void AddMember(string groupId, JsonObject body)
    {
        Require(GraphPermissions.GroupMemberReadWrite);
        var group = FindGroup(groupId);
        var reference = body["@odata.id"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? body["@odata.id"]!.GetValue<string>() : null;
        if (reference is null || !Uri.TryCreate(reference, UriKind.Absolute, out var uri))
        {
            throw GraphRefusalException.BadRequest("Invalid object identifier '" + reference + "'.");
        }

        var memberId = Uri.UnescapeDataString(uri.Segments[^1].TrimEnd('/'));
        CheckWritable(group);
        // A directory object is named by its object id only (a user principal name here is an object that does not exist):
        // resolving a sign-in name would add one id and later fail to remove another.
        var person = people.People().TryGetValue(memberId, out var found) ? found : throw GraphRefusalException.NotFound(memberId);
        if (!memberships.TryChange(group.Id, person.Id, FileGroups.Added))
        {
            throw GraphRefusalException.BadRequest("One or more added object references already exist for the following modified properties: 'members'.");
        }
    }

    /// <summary><c>DELETE /groups/{id}/members/{id}/$ref</c> (https://learn.microsoft.com/en-us/graph/api/group-delete-members):
    /// 204; 404 when the object is not a member (as for any reference that does not exist); the same refusals as the add.</summary>
    public void RemoveMember(string groupId, string memberId)
    {
        Require(GraphPermissions.GroupMemberReadWrite);
        var group = FindGroup(groupId);
        CheckWritable(group);
        if (!memberships.TryChange(group.Id, memberId, FileGroups.Removed))
        {
            throw GraphRefusalException.NotFound(memberId);
        }
    }

    /// <summary><c>POST /users/{id}/checkMemberGroups</c> (https://learn.microsoft.com/en-us/graph/api/directoryobject-checkmembergroups):
    /// of up to 20 group ids, those the user is a member of. (Transitive in Graph; the local groups do not nest.)
    /// Needs User.Read.All and GroupMember.Read.All — GroupMember.ReadWrite.All, which "read[s] and update[s] the
    /// membership", covers the read (https://learn.microsoft.com/en-us/graph/permissions-reference).</summary>
    public JsonObject CheckMemberGroups(string idOrUpn, JsonObject body)
    {
        Require(GraphPermissions.UserRead, GraphPermissions.UserReadWrite);
        Require(GraphPermissions.GroupMemberRead, GraphPermissions.GroupMemberReadWrite);
        if (body["groupIds"] is not JsonArray ids || ids.Any(i => i?.GetValueKind() != System.Text.Json.JsonValueKind.String))
        {
            throw GraphRefusalException.BadRequest("Invalid request body: groupIds is a collection of strings.");
        }

        if (ids.Count > 20)
        {
            throw GraphRefusalException.BadRequest("Up to 20 groups may be specified.");
        }

        var person = Find(idOrUpn);
        var value = new JsonArray();
        foreach (var id in ids.Select(i => i!.GetValue<string>()).Where(id => memberships.Members(id).Contains(person.Id)))
        {
            value.Add(id);
        }

        return new JsonObject { ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)", ["value"] = value };
    }

    void CheckWritable(LocalGroup group)
    {
        if (group.IsAssignableToRole && !App.Has(GraphPermissions.RoleManagement))
        {
            throw GraphRefusalException.Denied();
        }

        if (group.MailEnabled)
        {
            throw GraphRefusalException.BadRequest("Cannot Update a mail-enabled security groups and or distribution list.");
        }
    }

    void Require(params string[] anyOf)
    {
        if (!App.Has(anyOf))
        {
            throw GraphRefusalException.Denied();
        }
    }

    LocalPerson Find(string idOrUpn)
    {
        var all = people.People();
        if (all.TryGetValue(idOrUpn, out var person))
        {
            return person;
        }

        // Users are addressed by id or userPrincipalName (user-get: GET /users/{id | userPrincipalName}).
        return all.Values.FirstOrDefault(p => string.Equals(p.Upn, idOrUpn, StringComparison.OrdinalIgnoreCase)) ?? throw GraphRefusalException.NotFound(idOrUpn);
    }

    static LocalGroup FindGroup(string id) => LocalGroups.Seed.TryGetValue(id, out var group) ? group : throw GraphRefusalException.NotFound(id);

    static string[] Properties(string? select)
    {
        if (string.IsNullOrWhiteSpace(select))
        {
            return DefaultProperties;
        }

        var asked = select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = asked.FirstOrDefault(p => !SelectableProperties.Contains(p));
        return unknown is null
            ? asked
            : throw GraphRefusalException.BadRequest($"Could not find a property named '{unknown}' on type 'microsoft.graph.user'.");
    }

    JsonObject Project(LocalPerson person, string[] properties)
    {
        var user = new JsonObject();
        foreach (var property in properties)
        {
            user[property] = property.ToLowerInvariant() switch
            {
                "id" => person.Id,
                "displayname" => person.DisplayName,
                "userprincipalname" => person.Upn,
                "mail" => person.Email,
                "accountenabled" => person.Enabled,
                "proxyaddresses" => new JsonArray([.. (person.ProxyAddresses ?? []).Select(a => (JsonNode?)a)]),
                "othermails" => new JsonArray([.. (person.OtherMails ?? []).Select(a => (JsonNode?)a)]),
                // Whole seconds, as a tenant answers (e.g. "2026-09-04T00:29:37Z"); the page's samples show fractions, the
                // service does not — so a client comparing it with its own sub-second clock must allow for that.
                "lastpasswordchangedatetime" => people.Find(person.Id)?.LastResetAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
        }

        return user;
    }
}
