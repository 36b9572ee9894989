using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Azure.Core;

namespace Approvals.Core.Actions.TemporaryAccessPass;

/// <summary>A created pass: its value (a secret: only ever handed to the credential store) and when it stops working.</summary>
public sealed record CreatedPass(string Pass, DateTimeOffset ExpiresOn);

/// <summary>Temporary Access Passes through Microsoft Graph (the <see cref="ActionCatalog.GraphClient"/> client: Entra's Graph in
/// Azure, the local Graph on a laptop).</summary>
public sealed class TemporaryAccessPasses(IHttpClientFactory clients, TokenCredential credential)
{
    /// <summary><c>GET /users/{id}/authentication/temporaryAccessPassMethods</c>: true when the user holds a pass
    /// (https://learn.microsoft.com/en-us/graph/api/authentication-list-temporaryaccesspassmethods).</summary>
    public async Task<bool> HasPassAsync(string userId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, userId, null, "list the Temporary Access Passes of", cancellationToken);
        var page = await response.Content.ReadFromJsonAsync(TapJsonContext.Default.TapPage, cancellationToken);
        return page?.Value is { Count: > 0 };
    }

    /// <summary><c>POST /users/{id}/authentication/temporaryAccessPassMethods</c> with <c>lifetimeInMinutes</c> and
    /// <c>isUsableOnce: true</c>: 201 with the pass in <c>temporaryAccessPass</c>, its <c>startDateTime</c> and
    /// <c>lifetimeInMinutes</c> (https://learn.microsoft.com/en-us/graph/api/authentication-post-temporaryaccesspassmethods).
    /// A refusal is a <see cref="GraphRefusedException"/> carrying Graph's code and message (no secret was sent).</summary>
    public async Task<CreatedPass> CreateAsync(string userId, int lifetimeMinutes, CancellationToken cancellationToken)
    {
        using var body = JsonContent.Create(new TapCreate(lifetimeMinutes, true), TapJsonContext.Default.TapCreate);
        using var response = await SendAsync(HttpMethod.Post, userId, body, "create a Temporary Access Pass for", cancellationToken);
        var created = await response.Content.ReadFromJsonAsync(TapJsonContext.Default.TapMethod, cancellationToken);
        if (created?.TemporaryAccessPass is not { Length: > 0 } pass)
        {
            throw new HttpRequestException("Microsoft Graph created a Temporary Access Pass but did not return it.");
        }

        var start = created.StartDateTime ?? created.CreatedDateTime ?? DateTimeOffset.UtcNow;
        return new CreatedPass(pass, start.AddMinutes(created.LifetimeInMinutes ?? lifetimeMinutes));
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string userId, HttpContent? content, string what, CancellationToken cancellationToken)
    {
        var http = clients.CreateClient(ActionCatalog.GraphClient);
        var token = await credential.GetTokenAsync(new TokenRequestContext([EntraUserDirectory.ScopeFor(http.BaseAddress ?? EntraUserDirectory.DefaultGraphBaseUrl)]), cancellationToken);
        using var request = new HttpRequestMessage(method, $"users/{Uri.EscapeDataString(userId)}/authentication/temporaryAccessPassMethods") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await GraphRefusedException.ReadAsync(response, $"{what} '{userId}'", cancellationToken: cancellationToken);
        }
    }
}

public sealed record TapCreate(
    [property: JsonPropertyName("lifetimeInMinutes")] int LifetimeInMinutes,
    [property: JsonPropertyName("isUsableOnce")] bool IsUsableOnce);

public sealed record TapMethod(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("temporaryAccessPass")] string? TemporaryAccessPass,
    [property: JsonPropertyName("createdDateTime")] DateTimeOffset? CreatedDateTime,
    [property: JsonPropertyName("startDateTime")] DateTimeOffset? StartDateTime,
    [property: JsonPropertyName("lifetimeInMinutes")] int? LifetimeInMinutes);

public sealed record TapPage([property: JsonPropertyName("value")] IReadOnlyList<TapMethod>? Value);

[JsonSerializable(typeof(TapCreate))]
[JsonSerializable(typeof(TapMethod))]
[JsonSerializable(typeof(TapPage))]
internal sealed partial class TapJsonContext : JsonSerializerContext;
