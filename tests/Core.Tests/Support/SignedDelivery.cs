using Approvals.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Core.Tests.Support;

/// <summary>A webhook delivery signed the way Indent signs it, handed to the endpoint as an ASP.NET request.</summary>
public static class SignedDelivery
{
    /// <summary>Posts <paramref name="body"/>, signed with <paramref name="secret"/> at <paramref name="at"/>, to the endpoint;
    /// returns the HTTP status it answered.</summary>
    public static async Task<int> DeliverAsync(IndentWebhookEndpoint endpoint, DurableTaskClient client, byte[] body, string secret, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        var timestamp = IndentWebhookSignature.FormatTimestamp(at);
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        context.Request.Headers[IndentWebhookSignature.TimestampHeader] = timestamp;
        context.Request.Headers[IndentWebhookSignature.SignatureHeader] = IndentWebhookSignature.Sign(secret, timestamp, body);
        context.Response.Body = new MemoryStream();
        var result = await endpoint.HandleAsync(context.Request, client, cancellationToken);
        await result.ExecuteAsync(context);
        return context.Response.StatusCode;
    }
}
