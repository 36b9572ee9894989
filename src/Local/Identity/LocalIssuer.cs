using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Approvals.Core.Identity;
using Approvals.Local.Actions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Approvals.Local.Identity;

/// <summary>The laptop's token issuer, as the emulator is its Indent: an RS256 signing key kept owner-only in the data
/// directory, OIDC metadata and a JWKS served by the local host, and tokens minted for any person — validated by the
/// very code (<see cref="CallerAuthentication"/>) that validates Entra ID tokens in Azure.</summary>
public sealed class LocalIssuer
{
    /// <summary>The <c>iss</c> of local tokens (the same whatever port the host listens on, so a token outlives a restart).</summary>
    public const string Issuer = "urn:approvals-local";

    /// <summary>The <c>aud</c> of local tokens: the local API.</summary>
    public const string Audience = "api://approvals-local";

    /// <summary>The <c>azp</c> of local tokens: the client application they are issued to (the local CLI), the one client
    /// the local host accepts unless <c>APPROVALS_AUTH_CLIENTS</c> says otherwise.</summary>
    public const string ClientId = "approvals-local-cli";

    public const string MetadataPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/.well-known/jwks.json";

    /// <summary>Where the key lives under a data directory.</summary>
    public static string KeyFile(string dataDirectory) => Path.Combine(dataDirectory, "issuer", "signing-key.pem");

    readonly RsaSecurityKey key;
    readonly string? dataDirectory;

    LocalIssuer(RSA rsa, string? dataDirectory)
    {
        this.dataDirectory = dataDirectory;
        var modulus = rsa.ExportParameters(false).Modulus!;
        key = new RsaSecurityKey(rsa) { KeyId = Base64Url.EncodeToString(SHA256.HashData(modulus))[..16] };
    }

    public string KeyId => key.KeyId;

    /// <summary>Loads the data directory's signing key, creating it (owner-only, create-if-absent) on first use.</summary>
    public static LocalIssuer Open(string dataDirectory)
    {
        var path = KeyFile(dataDirectory);
        OwnerOnly.Directory(dataDirectory);
        OwnerOnly.Directory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            using var fresh = RSA.Create(2048);
            OwnerOnly.CreateAtomically(path, fresh.ExportPkcs8PrivateKeyPem()); // of two starters, one key wins
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        return new LocalIssuer(rsa, dataDirectory);
    }

    /// <summary>A signed access token for <paramref name="email"/> with <paramref name="roles"/>, valid for
    /// <paramref name="lifetime"/> from <paramref name="now"/> (negative lifetimes make expired tokens, for tests).
    /// <paramref name="client"/> is the <c>azp</c>; the <c>oid</c> is <paramref name="objectId"/> when given, else the local
    /// person's id; with <paramref name="withObjectId"/> false the token carries none (a token naming no directory object).</summary>
    public string Mint(string email, IEnumerable<string> roles, TimeSpan lifetime, DateTimeOffset now, string? name = null, string issuer = Issuer, string audience = Audience, string client = ClientId, bool withObjectId = true, string? objectId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentNullException.ThrowIfNull(roles);
        var subject = email.Trim().ToLowerInvariant();
        // Entra's tokens carry the person's object id (oid), the key the API decides on; a local person's id is theirs.
        objectId = withObjectId ? objectId ?? (subject.Contains('@', StringComparison.Ordinal) ? PersonIdFor(subject) : null) : null;
        var issuedAt = lifetime < TimeSpan.Zero ? now + lifetime - TimeSpan.FromMinutes(5) : now;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["preferred_username"] = subject,
            ["name"] = name ?? subject,
            ["roles"] = roles.Distinct(StringComparer.Ordinal).ToArray(),
            ["azp"] = client,
        };
        if (objectId is not null)
        {
            claims["oid"] = objectId;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The local directory's id of the person signing in as <paramref name="signInName"/> (their user principal
    /// name or mail), or null when the local directory has no such person.</summary>
    string? PersonIdFor(string signInName) =>
        dataDirectory is null ? null : FileUserDirectory.ReadPeople(dataDirectory).Values
            .FirstOrDefault(p => string.Equals(p.Upn, signInName, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Email, signInName, StringComparison.OrdinalIgnoreCase))?.Id;

    /// <summary>True when <paramref name="token"/> is this issuer's, for <paramref name="audience"/>, and current at
    /// <paramref name="now"/> (five minutes' skew, as Microsoft.IdentityModel allows by default).</summary>
    public async Task<bool> IsValidAsync(string token, string audience, DateTimeOffset now)
    {
        var skew = TimeSpan.FromMinutes(5);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = audience,
            IssuerSigningKey = key,
            LifetimeValidator = (notBefore, expires, _, _) => notBefore is { } nb && expires is { } exp && nb - skew <= now.UtcDateTime && now.UtcDateTime < exp + skew,
        });
        return result.IsValid;
    }

    /// <summary>The public half, as a JSON Web Key Set.</summary>
    public JwksDocument Jwks()
    {
        var parameters = key.Rsa.ExportParameters(false);
        return new JwksDocument([new Jwk("RSA", "sig", key.KeyId, SecurityAlgorithms.RsaSha256, Base64Url.EncodeToString(parameters.Modulus), Base64Url.EncodeToString(parameters.Exponent))]);
    }

    /// <summary>The default person on this machine: the signed-in OS user at <c>local</c>.</summary>
    public static string DefaultPerson() => (Environment.UserName is { Length: > 0 } user ? user : "me").ToLowerInvariant() + "@local";
}

public sealed record Jwk(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("use")] string Use,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("n")] string N,
    [property: JsonPropertyName("e")] string E);

public sealed record JwksDocument([property: JsonPropertyName("keys")] IReadOnlyList<Jwk> Keys);

public sealed record OidcMetadata(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> Algorithms,
    [property: JsonPropertyName("subject_types_supported")] IReadOnlyList<string> SubjectTypes,
    [property: JsonPropertyName("response_types_supported")] IReadOnlyList<string> ResponseTypes);

[JsonSerializable(typeof(JwksDocument))]
[JsonSerializable(typeof(OidcMetadata))]
internal sealed partial class IssuerJsonContext : JsonSerializerContext;

/// <summary>The issuer's two public documents.</summary>
public static class LocalIssuerEndpoints
{
    public static IEndpointRouteBuilder MapLocalIssuer(this IEndpointRouteBuilder app)
    {
        app.MapGet(LocalIssuer.MetadataPath, (HttpRequest request) => Results.Json(
            new OidcMetadata(LocalIssuer.Issuer, $"{request.Scheme}://{request.Host.ToUriComponent()}{LocalIssuer.JwksPath}", [SecurityAlgorithms.RsaSha256], ["public"], ["token"]),
            IssuerJsonContext.Default.OidcMetadata));
        app.MapGet(LocalIssuer.JwksPath, (LocalIssuer issuer) => Results.Json(issuer.Jwks(), IssuerJsonContext.Default.JwksDocument));
        return app;
    }
}
