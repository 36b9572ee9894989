using System.Net.Http.Headers;
using Azure.Core;

namespace Approvals.Local.Cli;

/// <summary>The bearer token the CLI sends to the API, taken afresh for every request: one given as it is (<c>--token</c>,
/// <c>APPROVALS_TOKEN</c>, or minted by the built-in host), or one Microsoft Entra ID issues for <see cref="Scope"/>
/// through a credential (<see cref="EntraSignIn"/>), asked for again before it runs out — so a wait of hours never sends
/// an expired token. The token itself is never printed or logged; only the scope is named.</summary>
public sealed class ApiToken
{
    /// <summary>A token from the credential is replaced this long before it expires. Microsoft Entra ID gives an access
    /// token a default lifetime of 60 to 90 minutes ("Token lifetime",
    /// https://learn.microsoft.com/entra/identity-platform/access-tokens); five minutes leaves room for a slow <c>az</c>
    /// and for clock skew. Reusing the token until then also keeps a poll every half second from asking the credential
    /// each time: the Azure CLI credential "uses Azure CLI to obtain an access token"
    /// (https://learn.microsoft.com/dotnet/api/azure.identity.azureclicredential), a process of its own.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    readonly string? given;
    readonly TokenCredential? credential;
    readonly TimeProvider time;
    AccessToken? current;

    ApiToken(string? given, TokenCredential? credential, string? scope, ApiTokenKind kind, TimeProvider? time)
    {
        this.given = given;
        this.credential = credential;
        Scope = scope;
        Kind = kind;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>The scope asked of Microsoft Entra ID (<c>api://&lt;client id&gt;/access_as_user</c>); null for a given token.</summary>
    public string? Scope { get; }

    /// <summary>Where the token comes from, which decides what a 401 or 403 is explained with.</summary>
    public ApiTokenKind Kind { get; }

    /// <summary>A token used as it is: the local host's own (<see cref="ApiTokenKind.Local"/>) or the caller's for a remote
    /// API (<see cref="ApiTokenKind.Given"/>).</summary>
    public static ApiToken Given(string token, ApiTokenKind kind = ApiTokenKind.Given)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new ApiToken(token, null, null, kind == ApiTokenKind.SignedIn ? ApiTokenKind.Given : kind, null);
    }

    /// <summary>Tokens for <paramref name="scope"/> from <paramref name="credential"/>, reused until
    /// <see cref="RefreshMargin"/> before they expire (or until the credential's own refresh time), then asked for again.</summary>
    public static ApiToken SignIn(TokenCredential credential, string scope, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        return new ApiToken(null, credential, scope, ApiTokenKind.SignedIn, time);
    }

    /// <summary>The token for the next request. A credential that cannot give one throws
    /// <see cref="Azure.Identity.AuthenticationFailedException"/> (the CLI says so, naming the scope).</summary>
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (given is not null)
        {
            return given;
        }

        // Requests are sent one at a time by the CLI; two at once would at worst both ask the credential.
        var now = time.GetUtcNow();
        if (current is not { } token || now >= token.ExpiresOn - RefreshMargin || (token.RefreshOn is { } refreshOn && now >= refreshOn))
        {
            token = await credential!.GetTokenAsync(new TokenRequestContext([Scope!]), cancellationToken);
            current = token;
        }

        return token.Token;
    }

    /// <summary>A handler that puts <see cref="GetAsync"/>'s token on every request it sends.</summary>
    public HttpMessageHandler Handler(HttpMessageHandler? inner = null) => new BearerHandler(this, inner ?? new HttpClientHandler());

    sealed class BearerHandler(ApiToken token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token.GetAsync(cancellationToken));
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>Where an <see cref="ApiToken"/> comes from.</summary>
public enum ApiTokenKind
{
    /// <summary>The local host's own issuer (the built-in host, or a token given for a host on this machine).</summary>
    Local,

    /// <summary>Given by the caller for a remote API (<c>--token</c> or <c>APPROVALS_TOKEN</c>).</summary>
    Given,

    /// <summary>Issued by Microsoft Entra ID to the signed-in person for the API's scope.</summary>
    SignedIn,
}
