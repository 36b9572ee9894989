using Approvals.Core.Settings;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Approvals.Core.Identity;

/// <summary>Bearer-token authentication for every API route but the webhook and health, the same in both hosts:
/// ASP.NET Core's JWT bearer handler validates signature (keys from the issuer's OIDC metadata and JWKS), issuer,
/// audience and lifetime; <see cref="AuthenticateAsync"/> turns the outcome into a <see cref="Caller"/> or a
/// problem+json refusal (401 with <c>WWW-Authenticate</c>, 403 for a missing app role).</summary>
public static class CallerAuthentication
{
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;

    public static IServiceCollection AddApprovalsAuthentication(this IServiceCollection services)
    {
        services.AddSettings<AuthOptions>();
        services.AddAuthentication(Scheme).AddJwtBearer(Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(Scheme).Configure<IOptions<AuthOptions>>((jwt, auth) => Configure(jwt, auth.Value));
        return services;
    }

    static void Configure(JwtBearerOptions jwt, AuthOptions auth)
    {
        if (auth.Authority is { } authority)
        {
            jwt.Authority = authority.ToString().TrimEnd('/');
        }

        jwt.RequireHttpsMetadata = auth.RequireHttpsMetadata;
        jwt.MapInboundClaims = false; // claim names as issued: oid, preferred_username, roles
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true, // against the issuer in the authority's metadata
            ValidateAudience = true,
            ValidAudiences = auth.Audiences,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromMinutes(1),
            NameClaimType = "name",
            RoleClaimType = "roles",
        };
    }

    /// <summary>Authenticates the request's bearer token and requires one of <paramref name="anyOfRoles"/>.</summary>
    public static async Task<(Caller? Caller, ProblemHttpResult? Refusal)> AuthenticateAsync(HttpContext http, params string[] anyOfRoles)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(anyOfRoles);
        var result = await http.AuthenticateAsync(Scheme);
        if (result.Failure is InvalidOperationException)
        {
            // The issuer's metadata or keys could not be read: an outage on our side, not a bad token.
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Sign-in unavailable",
                detail: $"The token issuer's metadata could not be read just now ({AuthOptions.AuthoritySetting}); try again shortly."));
        }

        if (!result.Succeeded || result.Principal is null || Caller.From(result.Principal) is not { } caller)
        {
            var (error, detail) = Describe(result);
            // RFC 6750 §3: no error code when no credentials were given; invalid_token otherwise.
            http.Response.Headers.WWWAuthenticate = error is null ? "Bearer" : $"Bearer error=\"{error}\", error_description=\"{detail}\"";
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in required", detail: detail));
        }

        if (Refused(result.Principal, http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value) is { } forbidden)
        {
            http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", error_description=\"{forbidden.ProblemDetails.Title}\"";
            return (null, forbidden);
        }

        if (anyOfRoles.Length > 0 && !anyOfRoles.Any(caller.Has))
        {
            var needed = string.Join(" or ", anyOfRoles);
            http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", error_description=\"this needs the app role {needed}\"";
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: $"This needs the app role {needed}; ask an administrator to assign it."));
        }

        return (caller, null);
    }

    /// <summary>A valid token this API still refuses: one that names no directory object (<c>oid</c>: Microsoft says to
    /// authorize on it, with the tenant, never on <c>preferred_username</c>, which can change —
    /// https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference), or one issued to a client
    /// application not in <see cref="AuthOptions.Clients"/> (<c>azp</c> in v2.0 tokens, <c>appid</c> in v1.0).</summary>
    static ProblemHttpResult? Refused(System.Security.Claims.ClaimsPrincipal principal, AuthOptions auth)
    {
        if (string.IsNullOrWhiteSpace(principal.FindFirst("oid")?.Value))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a directory person",
                detail: "The token names no directory object (it has no oid claim), so this API cannot tell who you are; sign in as a user of the directory.");
        }

        var client = principal.FindFirst("azp")?.Value ?? principal.FindFirst("appid")?.Value;
        if (client is null || !auth.Clients.Contains(client, StringComparer.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Client application not allowed",
                detail: $"The token was issued to a client application this API does not accept ({(client is null ? "none named" : "client id " + client)}); use the Azure CLI or a client listed in {AuthOptions.ClientsSetting}.");
        }

        return null;
    }

    /// <summary>What was wrong with the token, in words safe to return (never the token or its claims).</summary>
    static (string? Error, string Detail) Describe(AuthenticateResult result) => result.Failure switch
    {
        null when result.None => (null, "A bearer token is required: send Authorization: Bearer <token>."),
        null => ("invalid_token", "The token names no caller (no oid or sub claim)."),
        SecurityTokenExpiredException => ("invalid_token", "The token has expired; get a new one."),
        SecurityTokenNotYetValidException => ("invalid_token", "The token is not valid yet."),
        SecurityTokenInvalidAudienceException => ("invalid_token", "The token is for another audience than this API."),
        SecurityTokenInvalidIssuerException => ("invalid_token", "The token comes from an issuer this API does not trust."),
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => ("invalid_token", "The token's signature is not valid."),
        SecurityTokenMalformedException => ("invalid_token", "The token is malformed."),
        _ => ("invalid_token", "The token is not valid."),
    };
}
