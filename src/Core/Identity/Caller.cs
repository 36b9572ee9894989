using System.Security.Claims;

namespace Approvals.Core.Identity;

/// <summary>The app roles of the API's app registration (the <c>roles</c> claim of a caller's token).</summary>
public static class ApprovalsRoles
{
    /// <summary>Start approvals; read, cancel and receive the credential of one's own.</summary>
    public const string Request = "Approvals.Request";

    /// <summary>Read any approval's status and history.</summary>
    public const string Audit = "Approvals.Audit";

    /// <summary>Read and cancel any approval (one cannot sensibly cancel what one may not see).</summary>
    public const string Admin = "Approvals.Admin";

    public static readonly IReadOnlyList<string> All = [Request, Audit, Admin];
}

/// <summary>Who asked, as the workflow carries it: the directory person's object id (the token's <c>oid</c>, looked up in
/// the directory before anything starts), their mail (else user principal name) and display name, as the directory
/// has them. Approvals started before requesters were looked up carry the token's own sign-in name instead.</summary>
public sealed record Requester(string Id, string Email, string? Name);

/// <summary>An authenticated caller of the API.</summary>
public sealed record Caller(string Id, string Email, string? Name, IReadOnlySet<string> Roles)
{
    public bool Has(string role) => Roles.Contains(role);

    public Requester AsRequester() => new(Id, Email, Name);

    /// <summary>True when <paramref name="requester"/> is this caller (by the token's stable id).</summary>
    public bool Is(Requester? requester) => requester is not null && string.Equals(requester.Id, Id, StringComparison.Ordinal);

    /// <summary>Reads a validated principal (claims unmapped: JWT names as issued).</summary>
    public static Caller? From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var id = principal.FindFirst("oid")?.Value ?? principal.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var email = principal.FindFirst("preferred_username")?.Value ?? principal.FindFirst("upn")?.Value ?? principal.FindFirst("email")?.Value ?? id;
        var roles = principal.FindAll("roles").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Caller(id, email, principal.FindFirst("name")?.Value, roles);
    }
}
