using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Approvals.Core.Workflow;
using Azure.Core;

namespace Approvals.Core.Actions;

/// <summary>Group membership, the grant of time-boxed access (an Entra group through Microsoft Graph; on a laptop, the
/// local Graph). Adding a member twice, or removing one who is not there, changes nothing and is told apart from a
/// refusal.</summary>
public interface IGroupMembership
{
    /// <summary>Makes <paramref name="memberId"/> a member of <paramref name="groupId"/>; false when they already were.
    /// A refusal (the group cannot be changed by this app) is a <see cref="PermanentActivityFailureException"/> carrying
    /// Graph's reason: nothing was added.</summary>
    Task<bool> AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default);

    /// <summary>Takes <paramref name="memberId"/> out of <paramref name="groupId"/>; false when they were not a member.</summary>
    Task<bool> RemoveMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default);

    /// <summary>True when <paramref name="memberId"/> is a member of <paramref name="groupId"/> (directly or, in Entra,
    /// through a nested group).</summary>
    Task<bool> IsMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default);
}

/// <summary>Entra ID groups through Microsoft Graph, app-only with <c>GroupMember.ReadWrite.All</c> (the least privileged
/// application permission for both changes; docs/DEPLOY.md, step 3). Add: <c>POST /groups/{id}/members/$ref</c>, 204, or
/// 400 when the user already is a member — and 400 too when Graph will not change the group (mail-enabled), 403 when the
/// app may not (role-assignable), 404 when the group or user does not exist: each read from Graph's error body.
/// Remove: <c>DELETE /groups/{id}/members/{user}/$ref</c>, 404 when they are not — always with <c>/$ref</c>: without it
/// Graph deletes the member object itself. Check: <c>POST /users/{id}/checkMemberGroups</c>.</summary>
public sealed class EntraGroupMembership(HttpClient http, TokenCredential credential) : IGroupMembership
{
    string[] Scopes => [EntraUserDirectory.ScopeFor(http.BaseAddress ?? EntraUserDirectory.DefaultGraphBaseUrl)];

    public async Task<bool> AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var root = (http.BaseAddress ?? EntraUserDirectory.DefaultGraphBaseUrl).ToString().TrimEnd('/');
        var body = JsonContent.Create(new GraphReference($"{root}/directoryObjects/{Uri.EscapeDataString(memberId)}"), GroupJsonContext.Default.GraphReference);
        using var response = await SendAsync(HttpMethod.Post, $"groups/{Uri.EscapeDataString(groupId)}/members/$ref", body, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var refusal = await GraphRefusedException.ReadAsync(response, $"add {memberId} to group {groupId}", cancellationToken: cancellationToken);
        return refusal.IsAlreadyMember ? false : throw Classify(refusal, added: true);
    }

    public async Task<bool> RemoveMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"groups/{Uri.EscapeDataString(groupId)}/members/{Uri.EscapeDataString(memberId)}/$ref", null, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var refusal = await GraphRefusedException.ReadAsync(response, $"remove {memberId} from group {groupId}", cancellationToken: cancellationToken);
        return refusal.StatusCode == HttpStatusCode.NotFound ? false : throw Classify(refusal, added: false);
    }

    public async Task<bool> IsMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new GraphCheckMemberGroups([groupId]), GroupJsonContext.Default.GraphCheckMemberGroups);
        using var response = await SendAsync(HttpMethod.Post, $"users/{Uri.EscapeDataString(memberId)}/checkMemberGroups", body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Classify(await GraphRefusedException.ReadAsync(response, $"check whether {memberId} is a member of group {groupId}", cancellationToken: cancellationToken), added: false);
        }

        var found = await response.Content.ReadFromJsonAsync(GroupJsonContext.Default.GraphStringCollection, cancellationToken);
        return found?.Value?.Contains(groupId, StringComparer.OrdinalIgnoreCase) == true;
    }

    /// <summary>A refusal retrying cannot change ends the activity's retries with Graph's reason and what it means here;
    /// throttling and outages stay transient (the resilience handler has already waited out <c>Retry-After</c>).</summary>
    static Exception Classify(GraphRefusedException refusal, bool added)
    {
        if (!refusal.IsPermanent)
        {
            return refusal;
        }

        var meaning = refusal.StatusCode switch
        {
            HttpStatusCode.Forbidden => " The app needs GroupMember.ReadWrite.All (docs/DEPLOY.md, step 3); a role-assignable group also needs RoleManagement.ReadWrite.Directory, which the app is deliberately not given.",
            HttpStatusCode.NotFound => " The group (APPROVALS_ACCESS_GROUPS) or the user does not exist in the directory.",
            HttpStatusCode.BadRequest when refusal.IsReadOnlyGroup =>
                " Mail-enabled security groups and distribution lists are read-only through Microsoft Graph: map the resource to a security group.",
            _ => "",
        };
        return new PermanentActivityFailureException(refusal.Message + (added ? " Nothing was added." : "") + meaning, refusal);
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext(Scopes), cancellationToken);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return await http.SendAsync(request, cancellationToken);
    }
}

public sealed record GraphReference([property: JsonPropertyName("@odata.id")] string ODataId);

public sealed record GraphCheckMemberGroups([property: JsonPropertyName("groupIds")] IReadOnlyList<string> GroupIds);

public sealed record GraphStringCollection([property: JsonPropertyName("value")] IReadOnlyList<string>? Value);

[JsonSerializable(typeof(GraphReference))]
[JsonSerializable(typeof(GraphCheckMemberGroups))]
[JsonSerializable(typeof(GraphStringCollection))]
internal sealed partial class GroupJsonContext : JsonSerializerContext;
