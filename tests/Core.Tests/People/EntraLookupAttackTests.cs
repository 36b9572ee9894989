using System.Net;
using System.Text;
using Approvals.Core.Actions;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.People;
using Approvals.Core.Tests.Support;
using Approvals.Core.Workflow;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Tests.People;

/// <summary>Security review: identifiers that are not object ids but Graph path segments. Graph answers them with a
/// collection (200), not a user; <see cref="EntraUserDirectory.FindUserAsync"/> must not turn that into a person.</summary>
public sealed class EntraLookupAttackTests
{
    /// <summary>Answers as https://graph.microsoft.com/v1.0/ does for a collection: <c>users/</c> (the list), the service
    /// root (<c>users/..</c>), <c>users/delta</c> (a delta page). Any single user is 404. Records the paths asked.</summary>
    sealed class CollectionGraph : HttpMessageHandler
    {
        public List<string> Paths { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            Paths.Add(path);
            var body = path switch
            {
                "/v1.0/users/" or "/v1.0/users" => """{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[{"id":"b0b00000-0000-4000-8000-00000000b0b0","displayName":"Bob","accountEnabled":true}]}""",
                "/v1.0/" => """{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata","value":[{"name":"invitations","kind":"EntitySet","url":"invitations"}]}""",
                "/v1.0/users/delta" => """{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","@odata.nextLink":"https://graph.microsoft.com/v1.0/users/delta?$skiptoken=x","value":[]}""",
                _ => null,
            };
            return Task.FromResult(body is null
                ? new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("""{"error":{"code":"Request_ResourceNotFound","message":"Resource does not exist."}}""", Encoding.UTF8, "application/json") }
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("delta")]
    public async Task FindUser_APathSegmentThatGraphAnswersWithACollection_IsNobody(string id)
    {
        var graph = new CollectionGraph();
        using var http = new HttpClient(graph) { BaseAddress = new Uri("https://graph.microsoft.com/v1.0/") };
        var directory = new EntraUserDirectory(http, new FakeKeyVault.StaticCredential());

        var user = await directory.FindUserAsync(id);

        Assert.True(user is null, $"'{id}' (asked as {string.Join(", ", graph.Paths)}) resolved to a person: id {user?.Id}, enabled {user?.Enabled}");
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("delta")]
    public async Task Approver_APathSegmentId_NotAPerson_GrantRefused(string id)
    {
        var graph = new CollectionGraph();
        using var http = new HttpClient(graph) { BaseAddress = new Uri("https://graph.microsoft.com/v1.0/") };
        var resolver = new ApproverResolver(new EntraUserDirectory(http, new FakeKeyVault.StaticCredential()), Options.Create(new FourEyesOptions()));

        var check = await resolver.ResolveAsync(new Resource { Kind = "user", Id = id });
        var refusal = FourEyes.Refusal(
            new Requester("c0ffee00-0000-4000-8000-00000000ca01", "carol@corp.example", "Carol"),
            new TargetUser("5a300000-0000-4000-8000-000000005a30", "Sam", ["sam@corp.example"]),
            new PetitionSnapshot("p", IndentPhases.Granted, "x", null, Approver: check));

        Assert.True(refusal is not null, $"approver id '{id}' resolved to [{string.Join(", ", check.PersonIds)}] and the grant was accepted");
    }
}
