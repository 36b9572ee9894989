using Approvals.Local.Identity;
using Azure.Core;

namespace Approvals.Local.Graph;

/// <summary>The app's credential on a laptop, in place of <c>DefaultAzureCredential</c>: a token from the local issuer for
/// the resource the scope names (<c>{root}/.default</c> → audience <c>{root}</c>, as Entra issues it), carrying the
/// application permissions the local Graph's app holds as its <c>roles</c> claim — the token Graph checks.</summary>
public sealed class LocalGraphCredential(LocalIssuer issuer, GraphEmulator graph, TimeProvider time) : TokenCredential
{
    public const string AppName = "approvals-local-app";
    static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var scope = requestContext.Scopes is [{ } only] ? only : throw new ArgumentException("Exactly one scope, {resource}/.default, is expected.", nameof(requestContext));
        const string suffix = "/.default";
        var audience = scope.EndsWith(suffix, StringComparison.Ordinal) ? scope[..^suffix.Length] : throw new ArgumentException("An app-only token is asked for {resource}/.default.", nameof(requestContext));
        var now = time.GetUtcNow();
        return new AccessToken(issuer.Mint(AppName, graph.App.Permissions, Lifetime, now, audience: audience), now + Lifetime);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
