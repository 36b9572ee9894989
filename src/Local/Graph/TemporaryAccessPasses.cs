using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Approvals.Local.Graph;

/// <summary>The tenant's Temporary Access Pass policy as the local Graph applies it. Defaults are Entra's
/// (https://learn.microsoft.com/en-us/entra/identity/authentication/howto-authentication-temporary-access-pass, "Enable
/// the Temporary Access Pass policy": minimum lifetime 1 hour, maximum 8 hours, default 1 hour, one-time use off,
/// length 8), except that the method is enabled, as it must be for the action to work; tests change it through
/// <c>PUT /graph/_admin/tap-policy</c>.</summary>
public sealed record TapPolicy(bool Enabled = true, int MinimumLifetimeInMinutes = 60, int MaximumLifetimeInMinutes = 480, int DefaultLifetimeInMinutes = 60, bool IsUsableOnce = false, int DefaultLength = 8);

/// <summary>A pass the local Graph holds for a user (the value is kept only to be compared by tests: Graph itself
/// never returns it again after the create).</summary>
public sealed record LocalPass(string Id, string Value, DateTimeOffset CreatedAt, DateTimeOffset StartsAt, int LifetimeInMinutes, bool IsUsableOnce);

/// <summary>Temporary Access Passes: <c>GET</c>, <c>POST</c> on <c>/users/{id}/authentication/temporaryAccessPassMethods</c>
/// and <c>DELETE</c> of one. In memory (a restart of the local host forgets passes, as it does not matter to a laptop).</summary>
public sealed partial class GraphEmulator
{
    readonly Lock passGate = new();
    readonly Dictionary<string, LocalPass> passes = new(StringComparer.Ordinal);
    TapPolicy policy = new();

    public TapPolicy TapPolicy
    {
        get => Volatile.Read(ref policy);
        set => Volatile.Write(ref policy, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The pass a user holds now, if any (for tests).</summary>
    public LocalPass? PassOf(string userId)
    {
        lock (passGate)
        {
            return passes.TryGetValue(userId, out var pass) ? pass : null;
        }
    }

    /// <summary>List (https://learn.microsoft.com/en-us/graph/api/authentication-list-temporaryaccesspassmethods): at most
    /// one, without the pass itself.</summary>
    public JsonObject ListPasses(string idOrUpn)
    {
        Require(GraphPermissions.TapRead, GraphPermissions.TapReadWrite, GraphPermissions.AuthMethodReadWrite);
        var person = Find(idOrUpn);
        var value = new JsonArray();
        if (PassOf(person.Id) is { } pass)
        {
            value.Add(Describe(pass, reveal: false));
        }

        return new JsonObject { ["@odata.context"] = $"https://graph.microsoft.com/v1.0/$metadata#users('{person.Id}')/authentication/temporaryAccessPassMethods", ["value"] = value };
    }

    /// <summary>Create (https://learn.microsoft.com/en-us/graph/api/authentication-post-temporaryaccesspassmethods): 201
    /// with the pass in <c>temporaryAccessPass</c>. "A user can only have one Temporary Access Pass": one present is
    /// deleted and replaced (the same page). Refused: the permission or a role that may manage this user's methods
    /// missing (403, https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference#authentication-administrator);
    /// the method disabled in the tenant's policy, a lifetime outside the policy's minimum and maximum, a reusable pass
    /// where the policy demands one-time use (the policy's properties:
    /// https://learn.microsoft.com/en-us/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration).
    /// Graph does not document the status of those policy refusals; the local Graph answers 400 <c>badRequest</c>.</summary>
    public JsonObject CreatePass(string idOrUpn, JsonObject body)
    {
        Require(GraphPermissions.TapReadWrite, GraphPermissions.AuthMethodReadWrite);
        var person = Find(idOrUpn);
        var privileged = person.DirectoryRole is not null;
        if (!(App.HasRole(DirectoryRoles.PrivilegedAuthenticationAdministrator) || App.HasRole(DirectoryRoles.GlobalAdministrator)
            || (!privileged && App.HasRole(DirectoryRoles.AuthenticationAdministrator))))
        {
            throw GraphRefusalException.Denied();
        }

        var known = new HashSet<string>(StringComparer.Ordinal) { "@odata.type", "lifetimeInMinutes", "isUsableOnce", "startDateTime" };
        if (body.Select(p => p.Key).FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw GraphRefusalException.NotModelled($"the property '{unknown}' of a Temporary Access Pass");
        }

        var current = TapPolicy;
        if (!current.Enabled)
        {
            throw new GraphRefusalException(400, "badRequest", "Temporary Access Pass is not enabled for this user by the authentication methods policy.");
        }

        var lifetime = current.DefaultLifetimeInMinutes;
        if (body["lifetimeInMinutes"] is { } given)
        {
            if (given.GetValueKind() != System.Text.Json.JsonValueKind.Number || !int.TryParse(given.ToJsonString(), CultureInfo.InvariantCulture, out lifetime))
            {
                throw GraphRefusalException.BadRequest("Invalid value specified for property 'lifetimeInMinutes'.");
            }
        }

        if (lifetime < current.MinimumLifetimeInMinutes || lifetime > current.MaximumLifetimeInMinutes)
        {
            throw new GraphRefusalException(400, "badRequest", $"The lifetime of {lifetime} minutes is outside the policy's range of {current.MinimumLifetimeInMinutes} to {current.MaximumLifetimeInMinutes} minutes.");
        }

        var usableOnce = body["isUsableOnce"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        if (current.IsUsableOnce && body["isUsableOnce"]?.GetValueKind() == System.Text.Json.JsonValueKind.False)
        {
            throw new GraphRefusalException(400, "badRequest", "The policy restricts every Temporary Access Pass to one-time use.");
        }

        if (body["startDateTime"] is not null)
        {
            throw GraphRefusalException.NotModelled("a Temporary Access Pass with a startDateTime");
        }

        var now = Time.GetUtcNow();
        var pass = new LocalPass(Guid.NewGuid().ToString(), NewPassValue(current.DefaultLength), now, now, lifetime, usableOnce || current.IsUsableOnce);
        lock (passGate)
        {
            passes[person.Id] = pass;
        }

        return Describe(pass, reveal: true);
    }

    /// <summary>Delete (https://learn.microsoft.com/en-us/graph/api/temporaryaccesspassauthenticationmethod-delete): 204, or 404.</summary>
    public void DeletePass(string idOrUpn, string methodId)
    {
        Require(GraphPermissions.TapReadWrite, GraphPermissions.AuthMethodReadWrite);
        var person = Find(idOrUpn);
        lock (passGate)
        {
            if (!passes.TryGetValue(person.Id, out var pass) || pass.Id != methodId)
            {
                throw GraphRefusalException.NotFound(methodId);
            }

            passes.Remove(person.Id);
        }
    }

    static JsonObject Describe(LocalPass pass, bool reveal)
    {
        var stamp = (DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["@odata.type"] = "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            ["id"] = pass.Id,
            ["temporaryAccessPass"] = reveal ? pass.Value : null,
            ["createdDateTime"] = stamp(pass.CreatedAt),
            ["startDateTime"] = stamp(pass.StartsAt),
            ["lifetimeInMinutes"] = pass.LifetimeInMinutes,
            ["isUsableOnce"] = pass.IsUsableOnce,
            ["isUsable"] = true,
            ["methodUsabilityReason"] = "EnabledByPolicy",
        };
    }

    /// <summary>A pass of <paramref name="length"/> characters from a CSPRNG (Graph's own alphabet is not documented).</summary>
    static string NewPassValue(int length) =>
        new(RandomNumberGenerator.GetItems<char>("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#$%&*+=?".ToCharArray(), Math.Clamp(length, 8, 48)));
}
