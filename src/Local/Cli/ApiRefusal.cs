using System.Net;
using Approvals.Core.Identity;

namespace Approvals.Local.Cli;

/// <summary>What a 401 or 403 from a remote API means for the person at the terminal, said plainly on a line of its own
/// after the API's own detail: which scope the token was for, which app roles the API hands out. Nothing is said for the
/// local host (its tokens come from its own issuer, and its output stays as it was), and a token is never shown.</summary>
public static class ApiRefusal
{
    /// <summary>The line that explains <paramref name="status"/> for a caller using <paramref name="token"/>; null when
    /// there is nothing to add.</summary>
    public static string? Hint(HttpStatusCode status, ApiToken? token) => (status, token?.Kind) switch
    {
        (HttpStatusCode.Unauthorized, ApiTokenKind.SignedIn) =>
            $"↳ the API did not accept the token Microsoft Entra ID gave you for {token!.Scope}: that scope is not this API's " +
            $"(--scope or {EntraSignIn.ScopeVariable} must name the API's identifier URI, api://<API client id>/{EntraSignIn.ScopeName}), " +
            "or you signed in to another tenant (az login --tenant <tenant>)",
        (HttpStatusCode.Unauthorized, ApiTokenKind.Given) =>
            $"↳ the API did not accept the token in --token or {ApprovalClient.TokenVariable}: expired, for another API, or not a token; " +
            "leave both unset and the CLI signs you in with the Azure CLI (or a device code) and renews the token itself",
        (HttpStatusCode.Forbidden, ApiTokenKind.SignedIn or ApiTokenKind.Given) =>
            $"↳ the API knows who you are but does not let you do this: asking needs the app role {ApprovalsRoles.Request}; " +
            $"reading any approval {ApprovalsRoles.Audit} or {ApprovalsRoles.Admin}; cancelling someone else's {ApprovalsRoles.Admin}. " +
            "An administrator assigns them (Enterprise applications, Approvals API, Users and groups; docs/DEPLOY.md, step 0)",
        _ => null,
    };

    /// <summary>Writes <see cref="Hint"/>, when there is one, to <paramref name="error"/>.</summary>
    public static async Task ExplainAsync(HttpStatusCode status, ApiToken? token, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Hint(status, token) is { } hint)
        {
            await error.WriteLineAsync(hint);
        }
    }
}
