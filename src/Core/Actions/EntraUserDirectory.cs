using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Azure.Core;

namespace Approvals.Core.Actions;

/// <summary>Entra ID through Microsoft Graph: <c>PATCH /users/{id}</c> with a <c>passwordProfile</c> holding the
/// generated password and <c>forceChangePasswordNextSignIn: true</c>. App-only, Graph requires a permission
/// (<c>User-PasswordProfile.ReadWrite.All</c>) <em>and</em> at least the User Administrator directory role over the user,
/// and reading <c>lastPasswordChangeDateTime</c> needs <c>User.Read.All</c>; infra/scripts/grant-graph.sh grants all
/// three (docs/DEPLOY.md, step 3).</summary>
public sealed class EntraUserDirectory(HttpClient http, TokenCredential credential) : IUserDirectory, People.IPeopleDirectory
{
    public const string GraphBaseUrlSetting = "GRAPH_BASE_URL";
    public static readonly Uri DefaultGraphBaseUrl = new("https://graph.microsoft.com/v1.0/");

    /// <summary>The token scope for the Graph this client talks to: its root's <c>/.default</c>, so a sovereign cloud's
    /// <c>GRAPH_BASE_URL</c> (e.g. https://graph.microsoft.us/v1.0/) gets a token for that cloud's Graph.</summary>
    public static string ScopeFor(Uri graphBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(graphBaseUrl);
        return graphBaseUrl.GetLeftPart(UriPartial.Authority) + "/.default";
    }

    string[] Scopes => [ScopeFor(http.BaseAddress ?? DefaultGraphBaseUrl)];

    const string PersonFields = "$select=id,displayName,userPrincipalName,mail,accountEnabled";

    /// <summary><c>GET /users/{id}?$select=id,displayName,userPrincipalName,mail,accountEnabled</c>; <c>null</c> on 404.
    /// The answer counts only when it is that user: an id that is not one Graph issues (a path segment such as <c>.</c>,
    /// <c>..</c> or <c>delta</c> would reach another resource and answer 200 with a collection) is never sent, and a
    /// body whose <c>id</c> (or user principal name) is not the one asked for is nobody — never a person made up from
    /// the question.</summary>
    public async Task<DirectoryUser?> FindUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        if (!IsUserKey(userId))
        {
            return null;
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Get, userId, "?" + PersonFields, null, "read", cancellationToken);
            var user = await response.Content.ReadFromJsonAsync(GraphJsonContext.Default.GraphUser, cancellationToken);
            var asked = userId.Trim();
            return user is { Id: { Length: > 0 } id } && (string.Equals(id, asked, StringComparison.OrdinalIgnoreCase) || string.Equals(user.UserPrincipalName, asked, StringComparison.OrdinalIgnoreCase))
                ? Person(user)
                : null;
        }
        catch (UserNotFoundException)
        {
            return null;
        }
    }

    /// <summary><c>GET /users?$filter=mail eq 'a' or userPrincipalName eq 'a' or proxyAddresses/any(p:p eq 'smtp:a') or
    /// otherMails/any(m:m eq 'a')</c>: each of these is a default (not advanced) query on users, so it needs neither
    /// <c>ConsistencyLevel: eventual</c> nor <c>$count</c> (https://learn.microsoft.com/en-us/graph/aad-advanced-queries,
    /// "User properties"; proxyAddresses and otherMails support <c>eq</c> with <c>any</c> by default). A quote inside
    /// the literal is doubled, as OData requires. <c>$top=5</c>: more than one match is already an answer (ambiguous).</summary>
    public async Task<IReadOnlyList<DirectoryUser>> FindByAddressAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var literal = address.Trim().Replace("'", "''", StringComparison.Ordinal);
        var filter = $"mail eq '{literal}' or userPrincipalName eq '{literal}' or proxyAddresses/any(p:p eq 'smtp:{literal}') or otherMails/any(m:m eq '{literal}')";
        using var response = await SendAsync(HttpMethod.Get, null, $"?$filter={Uri.EscapeDataString(filter)}&{PersonFields}&$top=5", null, "look up the person named", cancellationToken, subject: address);
        var page = await response.Content.ReadFromJsonAsync(GraphJsonContext.Default.GraphUserPage, cancellationToken);
        return [.. (page?.Value ?? []).Where(u => !string.IsNullOrEmpty(u.Id)).Select(Person)];
    }

    /// <summary>An account whose enabled state Graph did not say is not taken as enabled.</summary>
    static DirectoryUser Person(GraphUser user) => new(user.Id!, user.DisplayName, user.UserPrincipalName, user.Mail, user.AccountEnabled ?? false);

    /// <summary>What <c>/users/{id | userPrincipalName}</c> may be asked with: an object id or a sign-in name — letters,
    /// digits and <c>. _ - @ '</c>, at most 256 characters, with at least one letter or digit and not a name Graph routes
    /// elsewhere under <c>/users</c> (<c>delta</c>, the collection's change-tracking function:
    /// https://learn.microsoft.com/graph/api/user-delta).</summary>
    public static bool IsUserKey(string? key)
    {
        var trimmed = key?.Trim() ?? "";
        return trimmed.Length is > 0 and <= 256
            && trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '\'')
            && trimmed.Any(char.IsAsciiLetterOrDigit)
            && !trimmed.StartsWith('.')
            && !trimmed.Equals("delta", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>GET /users/{id}?$select=lastPasswordChangeDateTime</c>: the directory's own record of the last change.</summary>
    public async Task<DateTimeOffset?> GetPasswordChangedAtAsync(string userId, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, userId, "?$select=lastPasswordChangeDateTime", null, "read", cancellationToken);
        var user = await response.Content.ReadFromJsonAsync(GraphJsonContext.Default.GraphUserPasswordChange, cancellationToken);
        return user?.LastPasswordChangeDateTime;
    }

    public async Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new GraphUserPatch(new GraphPasswordProfile(password, true)), GraphJsonContext.Default.GraphUserPatch);
        using var response = await SendAsync(HttpMethod.Patch, userId, "", body, "reset the password of", cancellationToken, secret: password);
    }

    /// <summary>One authenticated call on a user: 404 is <see cref="UserNotFoundException"/>, other refusals a
    /// <see cref="GraphRefusedException"/> with Graph's code and message (withheld if it ever quoted the password).</summary>
    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string? userId, string query, HttpContent? content, string what, CancellationToken cancellationToken, string? secret = null, string? subject = null)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext(Scopes), cancellationToken);
        using var request = new HttpRequestMessage(method, "users" + (userId is null ? "" : "/" + Uri.EscapeDataString(userId)) + query) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw response.StatusCode == HttpStatusCode.NotFound && userId is not null
                ? new UserNotFoundException(userId)
                : await GraphRefusedException.ReadAsync(response, $"{what} '{userId ?? subject}'", secret, cancellationToken);
        }
    }
}

public sealed record GraphUserPasswordChange([property: JsonPropertyName("lastPasswordChangeDateTime")] DateTimeOffset? LastPasswordChangeDateTime);

public sealed record GraphUser(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("displayName")] string? DisplayName,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("mail")] string? Mail,
    [property: JsonPropertyName("accountEnabled")] bool? AccountEnabled);

/// <summary>A page of users (<c>GET /users</c>): <c>value</c> holds them.</summary>
public sealed record GraphUserPage([property: JsonPropertyName("value")] IReadOnlyList<GraphUser>? Value);

public sealed record GraphPasswordProfile(
    [property: JsonPropertyName("password")] string Password,
    [property: JsonPropertyName("forceChangePasswordNextSignIn")] bool ForceChangePasswordNextSignIn);

public sealed record GraphUserPatch([property: JsonPropertyName("passwordProfile")] GraphPasswordProfile PasswordProfile);

[JsonSerializable(typeof(GraphUserPatch))]
[JsonSerializable(typeof(GraphUserPasswordChange))]
[JsonSerializable(typeof(GraphUser))]
[JsonSerializable(typeof(GraphUserPage))]
internal sealed partial class GraphJsonContext : JsonSerializerContext;
