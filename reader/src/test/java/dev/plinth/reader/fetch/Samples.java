package dev.plinth.reader.fetch;

import java.nio.charset.Charset;

/** Short real-language paragraphs for charset tests, and a page wrapper that declares nothing. */
final class Samples {

    static final String CHINESE_SIMPLIFIED =
            "北京时间昨天晚上，国家统计局发布了最新的经济数据。数据显示，今年前三个季度，"
                    + "我国国内生产总值同比增长百分之五，经济运行总体平稳，就业形势保持稳定，居民消费价格温和上涨。"
                    + "专家表示，下一阶段要继续扩大内需，推动高质量发展。";

    static final String CHINESE_TRADITIONAL =
            "台北市政府今天宣布，將在明年擴大公共運輸的補助範圍，讓更多市民能夠以優惠的價格"
                    + "搭乘捷運與公車。市長表示，這項政策的目的是減少交通擁擠，改善空氣品質，並且照顧經濟弱勢的家庭。";

    static final String JAPANESE =
            "東京都は昨日、来年度の予算案を発表しました。子育て支援や防災対策に重点を置き、"
                    + "保育所の整備や学校の耐震化を進める方針です。知事は記者会見で「誰もが安心して暮らせる街をつくりたい」と述べました。";

    static final String RUSSIAN =
            "Вчера в Москве прошло заседание правительства, на котором обсуждались вопросы развития "
                    + "транспортной инфраструктуры. Министр рассказал о планах строительства новых дорог и модернизации "
                    + "железнодорожного сообщения в регионах страны.";

    static final String FRENCH =
            "Le musée a présenté hier sa nouvelle exposition consacrée aux peintres français du "
                    + "dix-neuvième siècle. Les visiteurs pourront découvrir des œuvres rarement montrées, prêtées par des "
                    + "collections privées. « C'est un événement exceptionnel », a déclaré la directrice.";

    static final String GERMAN =
            "Die Größe der Stadt überrascht viele Besucher. Straßenbahnen fahren täglich über die "
                    + "Brücke, und im Frühling blühen überall Bäume. Für Gäste gibt es außerdem günstige Führungen.";

    private Samples() {}

    /** {@code text} in an HTML page without any charset declaration, encoded in {@code charset}. */
    static byte[] page(String text, Charset charset) {
        return html("", text).getBytes(charset);
    }

    static String html(String head, String text) {
        return "<!doctype html><html><head>"
                + head
                + "<title>Sample</title></head><body><h1>Sample</h1><p>"
                + text
                + "</p></body></html>";
    }
}
