using System.Collections.Concurrent;
using System.Text.Json;
using Approvals.Core.Actions;
using Approvals.Core.Tests.Support;
using Approvals.Core.Workflow;

namespace Approvals.Core.Tests.Actions;

/// <summary><see cref="EntraGroupMembership"/> against a Graph stand-in that keeps real membership and answers as
/// Microsoft documents: 204 on a change, 400 when adding a member who is there, 404 when removing one who is not (or
/// for a group that does not exist), 403 for a group the app may not change.</summary>
public sealed class GroupMembershipTests
{
    const string Group = "0b1c2d3e-0000-4000-8000-000000000001";
    const string Locked = "0b1c2d3e-0000-4000-8000-00000000dead";
    const string User = "11111111-2222-3333-4444-555555555555";

    static Task<LoopbackServer> GraphAsync(ConcurrentDictionary<string, byte> members) =>
        LoopbackServer.StartAsync((ctx, req) =>
        {
            if (req.PathAndQuery.Contains(Locked, StringComparison.Ordinal))
            {
                return LoopbackServer.WriteJsonAsync(ctx, """{"error":{"code":"Authorization_RequestDenied"}}""", 403);
            }

            if (req.Method == "POST" && req.PathAndQuery == $"/v1.0/groups/{Group}/members/$ref")
            {
                var id = JsonDocument.Parse(req.Body).RootElement.GetProperty("@odata.id").GetString()!.Split('/')[^1];
                return members.TryAdd(id, 0)
                    ? Status(ctx, 204)
                    : LoopbackServer.WriteJsonAsync(ctx, """{"error":{"code":"Request_BadRequest","message":"One or more added object references already exist"}}""", 400);
            }

            if (req.Method == "DELETE" && req.PathAndQuery.StartsWith($"/v1.0/groups/{Group}/members/", StringComparison.Ordinal) && req.PathAndQuery.EndsWith("/$ref", StringComparison.Ordinal))
            {
                var id = req.PathAndQuery.Split('/')[^2];
                return members.TryRemove(id, out _) ? Status(ctx, 204) : LoopbackServer.WriteJsonAsync(ctx, """{"error":{"code":"Request_ResourceNotFound"}}""", 404);
            }

            return LoopbackServer.WriteJsonAsync(ctx, """{"error":{"code":"BadRequest"}}""", 405);
        });

    static Task Status(Microsoft.AspNetCore.Http.HttpContext ctx, int status)
    {
        ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AddAndRemove_Idempotent_RefForm_BearerToken_MembershipAsAsked()
    {
        var members = new ConcurrentDictionary<string, byte>();
        await using var graph = await GraphAsync(members);
        var credential = new FakeKeyVault.StaticCredential();
        using var http = new HttpClient { BaseAddress = new Uri(graph.BaseAddress, "v1.0/") };
        var groups = new EntraGroupMembership(http, credential);

        var added = await groups.AddMemberAsync(Group, User);
        var addedAgain = await groups.AddMemberAsync(Group, User);
        var memberAfterAdds = members.ContainsKey(User);
        var removed = await groups.RemoveMemberAsync(Group, User);
        var removedAgain = await groups.RemoveMemberAsync(Group, User);

        Assert.True(added);
        Assert.False(addedAgain);
        Assert.True(memberAfterAdds);
        Assert.True(removed);
        Assert.False(removedAgain);
        Assert.Empty(members);
        var post = graph.Requests.First();
        Assert.Equal($$"""{"@odata.id":"{{graph.BaseAddress}}v1.0/directoryObjects/{{User}}"}""", post.Body);
        Assert.Equal("Bearer fake-entra-token", post.Headers["Authorization"]);
        // Removal always names the reference (/$ref): without it Graph would delete the user object itself.
        Assert.All(graph.Requests.Where(r => r.Method == "DELETE"), r => Assert.EndsWith($"/members/{User}/$ref", r.PathAndQuery, StringComparison.Ordinal));
        Assert.Contains(EntraUserDirectory.ScopeFor(http.BaseAddress!), credential.Scopes);
    }

    [Fact]
    public async Task Refused_Permanent_NamesThePermission_NothingChanged()
    {
        var members = new ConcurrentDictionary<string, byte>();
        await using var graph = await GraphAsync(members);
        using var http = new HttpClient { BaseAddress = new Uri(graph.BaseAddress, "v1.0/") };
        var groups = new EntraGroupMembership(http, new FakeKeyVault.StaticCredential());

        var refused = await Assert.ThrowsAsync<PermanentActivityFailureException>(() => groups.AddMemberAsync(Locked, User));

        Assert.Contains("GroupMember.ReadWrite.All", refused.Message, StringComparison.Ordinal);
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Empty(members);
    }
}
