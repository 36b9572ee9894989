using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Approvals.Core.Workflow;
using Azure.Core;

namespace Approvals.Core.Actions;

/// <summary>Group membership, the grant of time-boxed access (an Entra group in Azure, a local group on a laptop). Both
/// calls are idempotent: adding a member twice, or removing one who is not there, changes nothing and succeeds.</summary>
public interface IGroupMembership
{
    /// <summary>Makes <paramref name="memberId"/> a member of <paramref name="groupId"/>; false when they already were.</summary>
    Task<bool> AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default);

    /// <summary>Takes <paramref name="memberId"/> out of <paramref name="groupId"/>; false when they were not a member.</summary>
    Task<bool> RemoveMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default);
}

/// <summary>Entra ID groups through Microsoft Graph, app-only with <c>GroupMember.ReadWrite.All</c> (the least privileged
/// application permission for both calls; docs/DEPLOY.md, step 3). Add: <c>POST /groups/{id}/members/$ref</c>, which
/// answers 400 when the user already is a member. Remove: <c>DELETE /groups/{id}/members/{user}/$ref</c>, which answers
/// 404 when they are not — always with <c>/$ref</c>: without it Graph deletes the member object itself.</summary>
public sealed class EntraGroupMembership(HttpClient http, TokenCredential credential) : IGroupMembership
{
    string[] Scopes => [EntraUserDirectory.ScopeFor(http.BaseAddress ?? EntraUserDirectory.DefaultGraphBaseUrl)];

    public async Task<bool> AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var root = (http.BaseAddress ?? EntraUserDirectory.DefaultGraphBaseUrl).ToString().TrimEnd('/');
        var body = JsonContent.Create(new GraphReference($"{root}/directoryObjects/{Uri.EscapeDataString(memberId)}"), GroupJsonContext.Default.GraphReference);
        var status = await SendAsync(HttpMethod.Post, $"groups/{Uri.EscapeDataString(groupId)}/members/$ref", body, "add a member to", groupId, HttpStatusCode.BadRequest, cancellationToken);
        return status != HttpStatusCode.BadRequest;
    }

    public async Task<bool> RemoveMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var status = await SendAsync(HttpMethod.Delete, $"groups/{Uri.EscapeDataString(groupId)}/members/{Uri.EscapeDataString(memberId)}/$ref", null, "remove a member from", groupId, HttpStatusCode.NotFound, cancellationToken);
        return status != HttpStatusCode.NotFound;
    }

    /// <summary>One call; <paramref name="unchanged"/> is the status Graph answers when the membership already is as asked.</summary>
    async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, HttpContent? content, string what, string groupId, HttpStatusCode unchanged, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext(Scopes), cancellationToken);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == unchanged)
        {
            return response.StatusCode;
        }

        var problem = $"Microsoft Graph refused to {what} group '{groupId}' with HTTP {(int)response.StatusCode}.";
        throw response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound
            ? new PermanentActivityFailureException(problem + (response.StatusCode == HttpStatusCode.Forbidden
                ? " The app needs GroupMember.ReadWrite.All (docs/DEPLOY.md, step 3); role-assignable groups are refused on purpose."
                : " The group (APPROVALS_ACCESS_GROUPS) or the user does not exist in the directory."))
            : new HttpRequestException(problem, null, response.StatusCode);
    }
}

public sealed record GraphReference([property: JsonPropertyName("@odata.id")] string ODataId);

[JsonSerializable(typeof(GraphReference))]
internal sealed partial class GroupJsonContext : JsonSerializerContext;
